"""Routes of continuous WAL archiving: list the spool, download one file, acknowledge it,
switch to a new WAL file. Each parses, delegates to the engine, returns; an engine without
archiving answers 501."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import FileResponse

from strongroom.contracts import agent as contract
from strongroom.contracts.agent import WalSegmentList, WalSwitch
from strongroom_agent.engines.base import Engine

WAL_MEDIA_TYPE = "application/octet-stream"


def wal_routes(engine: Engine) -> APIRouter:
    """The WAL archiving routes of `engine`."""
    router = APIRouter()

    @router.get(contract.PATH_WAL_SEGMENTS)
    def segments() -> WalSegmentList:
        return WalSegmentList(segments=engine.wal_segments())

    @router.get(contract.PATH_WAL_SEGMENT)
    def segment(name: str) -> FileResponse:
        return FileResponse(engine.wal_segment_file(name), media_type=WAL_MEDIA_TYPE)

    @router.delete(contract.PATH_WAL_SEGMENT, status_code=204)
    def acknowledge(name: str) -> Response:
        engine.acknowledge_wal_segment(name)
        return Response(status_code=204)

    @router.post(contract.PATH_WAL_SWITCH)
    def switch() -> WalSwitch:
        return engine.switch_wal()

    return router
