"""Routes for backups and restores: each parses, delegates, returns."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.requests import ClientDisconnect

from strongroom.contracts import agent as contract
from strongroom.contracts.agent import OperationAccepted
from strongroom.contracts.backups import BackupRequest
from strongroom.contracts.errors import BadRequest
from strongroom.contracts.framing import MEDIA_TYPE
from strongroom_agent.backups import BackupService


def backup_routes(backups: BackupService) -> APIRouter:
    """The backup and restore routes of `backups`, once the scratch an earlier agent left
    behind is swept (the routes are built at start, before the server accepts requests)."""
    backups.sweep_stale_scratch()
    router = APIRouter()

    @router.post(contract.PATH_BACKUPS)
    def backup(request: BackupRequest) -> StreamingResponse:
        return StreamingResponse(_relay(backups.backup(request)), media_type=MEDIA_TYPE)

    @router.post(contract.PATH_RESTORE, status_code=202)
    async def restore(request: Request) -> OperationAccepted:
        try:
            return await backups.restore(request.stream())
        except ClientDisconnect:
            raise BadRequest("the restore body was cut off; nothing was restored") from None

    return router


async def _relay(frames: Generator[bytes, None, None]) -> AsyncIterator[bytes]:
    """`frames` read in a worker thread, and closed (which stops the backup tool and frees
    the operation slot) however the response ends, a client that went away included: the
    server cancels this generator then, and would never close a plain iterator."""
    try:
        while (chunk := await anyio.to_thread.run_sync(next, frames, None)) is not None:
            yield chunk
    finally:
        frames.close()
