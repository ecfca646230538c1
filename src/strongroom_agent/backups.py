"""Backups and restores over framed streams (`strongroom.contracts.framing`).

A backup streams while the request lasts and holds the operation slot meanwhile (no restart
or change interleaves with it); a cut connection stops the backup tool. A restore stages the
parts while the body arrives (holding the slot too), refuses a truncated or malformed body
with 400 (the engine removes what it staged; the data dir is never touched), then runs the
rest as an operation the control plane polls.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import shutil
from collections.abc import AsyncIterator, Generator, Iterator
from contextlib import ExitStack
from pathlib import Path

from pydantic import ValidationError

from strongroom.contracts.agent import OperationAccepted, OperationKind
from strongroom.contracts.backups import (
    BackupRequest,
    BackupTrailer,
    RestorePart,
    RestoreTrailer,
    wire_json,
)
from strongroom.contracts.errors import BadRequest
from strongroom.contracts.framing import (
    FRAME_DATA,
    FRAME_END,
    FRAME_ERROR,
    FRAME_PART,
    Frame,
    FrameError,
    FrameReader,
    data_frames,
    encode_frame,
)
from strongroom_agent.engines.backup import BackupStream
from strongroom_agent.engines.base import Engine
from strongroom_agent.engines.restore import PartStream
from strongroom_agent.operations import OperationRunner, describe_error

log = logging.getLogger(__name__)

_QUEUE_DEPTH = 4
_BATCH_BYTES = 1 << 20
"""The restore body is handed to the staging thread in batches of about this many bytes
(the server reads it in pieces of a TLS record or so): one hand-over per batch, and a thread
hop only when the queue is full."""
_OFFER_SECONDS = 0.5


class BackupService:
    """The agent's backup and restore use cases for its engine."""

    def __init__(self, engine: Engine, runner: OperationRunner) -> None:
        self.engine = engine
        self.runner = runner

    def sweep_stale_scratch(self) -> list[Path]:
        """Remove what an agent killed mid-backup or mid-restore left on the volume (the
        backup tool's work dir, a restore's staging); call once at start, before any backup
        or restore can run. Returns what was removed."""
        stale = self.engine.stale_scratch()
        for path in stale:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        if stale:
            log.info("removed stale backup/restore scratch: %s", ", ".join(p.name for p in stale))
        return stale

    def backup(self, request: BackupRequest) -> Generator[bytes, None, None]:
        """Start the backup now (so that `Conflict` and `BadRequest` are answered as such),
        and return its framed body."""
        slot = ExitStack()
        slot.enter_context(self.runner.exclusive("backup"))
        try:
            stream = self.engine.backup_stream(request.kind, request.parent_checkpoint)
        except BaseException:
            slot.close()
            raise
        log.info("%s backup started (%s)", request.kind, request.encoding)
        return _backup_frames(self.engine.name, request, stream, slot)

    async def restore(self, body: AsyncIterator[bytes]) -> OperationAccepted:
        """Stage every part of `body`, then finish the restore as an operation."""
        with self.runner.exclusive("restore"):
            chunks: queue.Queue[list[bytes] | None] = queue.Queue(_QUEUE_DEPTH)
            staging = asyncio.ensure_future(asyncio.to_thread(self._stage, _drain(chunks)))
            try:
                batch: list[bytes] = []
                size = 0
                async for chunk in body:
                    batch.append(chunk)
                    size += len(chunk)
                    if size >= _BATCH_BYTES:
                        if not await _hand_over(chunks, batch, staging):
                            break
                        batch, size = [], 0
                else:
                    await _hand_over(chunks, batch, staging)
            finally:  # a cut body still ends the staging thread, which cleans up
                await _hand_over(chunks, None, staging)
                await asyncio.wait([staging])
                failure = staging.exception()
            if failure is not None:
                raise failure
        record = self.runner.submit(OperationKind.RESTORE, self.engine.finish_restore)
        return OperationAccepted(
            operation_id=record.operation_id, kind=record.kind, state=record.state
        )

    def _stage(self, chunks: Iterator[bytes]) -> None:
        try:
            self.engine.stage_restore(restore_parts(FrameReader(chunks)))
        except (FrameError, ValidationError) as exc:
            raise BadRequest("the restore body is truncated or malformed", detail=str(exc)) from exc


def restore_parts(reader: FrameReader) -> Iterator[PartStream]:
    """The parts of a restore body, each its data and encoding, in order; the last part
    ends only when the `E` frame (with the right part count) and the end of body are seen.
    `FrameError` for anything else."""
    frame = reader.next_frame()
    index = 0
    while frame.kind == FRAME_PART:
        part = RestorePart.model_validate_json(frame.payload)
        if part.index != index:
            raise FrameError(f"part {part.index} arrived where part {index} was expected")
        pending: list[bytes] = []
        yield PartStream(_part_data(reader, pending), part.encoding)
        frame = _after_part(reader, pending)
        index += 1
    if frame.kind != FRAME_END or index == 0:
        raise FrameError(f"unexpected frame {frame.kind!r} after {index} part(s)")
    if RestoreTrailer.model_validate_json(frame.payload).parts != index:
        raise FrameError(f"the trailer does not count the {index} part(s) sent")
    reader.expect_end()


def _part_data(reader: FrameReader, pending: list[bytes]) -> Iterator[bytes]:
    """Data frames up to the next non-data frame, whose encoding is left in `pending`."""
    while True:
        frame = reader.next_frame()
        if frame.kind != FRAME_DATA:
            pending.append(frame.kind + frame.payload)
            return
        yield frame.payload


def _after_part(reader: FrameReader, pending: list[bytes]) -> Frame:
    if not pending:
        raise FrameError("a part was not read to its end")
    raw = pending[0]
    return Frame(raw[:1], raw[1:])


def _backup_frames(
    engine: str, request: BackupRequest, stream: BackupStream, slot: ExitStack
) -> Generator[bytes, None, None]:
    size = 0
    try:
        try:
            for chunk in stream.encoded(request.encoding):
                size += len(chunk)
                yield from data_frames(iter([chunk]))
            checkpoint = stream.checkpoint()
        except Exception as exc:
            log.error("%s backup failed after %d bytes: %s", request.kind, size, exc)
            yield encode_frame(FRAME_ERROR, describe_error(exc, []).model_dump_json().encode())
            return
        trailer = BackupTrailer(
            kind=request.kind,
            engine=engine,
            checkpoint=checkpoint,
            data_bytes=size,
            encoding=request.encoding,
        )
        log.info("%s backup streamed %d bytes (%s)", request.kind, size, request.encoding)
        yield encode_frame(FRAME_END, wire_json(trailer))
    finally:
        stream.close()
        slot.close()


def _drain(chunks: queue.Queue[list[bytes] | None]) -> Iterator[bytes]:
    while (batch := chunks.get()) is not None:
        yield from batch


async def _hand_over(
    chunks: queue.Queue[list[bytes] | None],
    batch: list[bytes] | None,
    consumer: asyncio.Future[None],
) -> bool:
    """Put `batch` for the staging thread, waiting in a thread only if the queue is full;
    False once the staging thread has stopped reading."""
    if consumer.done():
        return False
    try:
        chunks.put_nowait(batch)
        return True
    except queue.Full:
        return await asyncio.to_thread(_offer, chunks, batch, consumer)


def _offer(
    chunks: queue.Queue[list[bytes] | None], chunk: list[bytes] | None, consumer: object
) -> bool:
    """Put `chunk` for the staging thread; False once it has stopped reading."""
    while not consumer.done():  # type: ignore[attr-defined]
        try:
            chunks.put(chunk, timeout=_OFFER_SECONDS)
            return True
        except queue.Full:
            continue
    return False
