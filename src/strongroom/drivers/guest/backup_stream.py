"""The control plane's side of the agent's framed backup and restore bodies."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import ValidationError

from strongroom.contracts.agent import ErrorDetail
from strongroom.contracts.backups import (
    BackupTrailer,
    RestorePart,
    RestoreTrailer,
    StreamEncoding,
    wire_json,
)
from strongroom.contracts.errors import InfrastructureError
from strongroom.contracts.framing import (
    FRAME_DATA,
    FRAME_END,
    FRAME_ERROR,
    FRAME_PART,
    FrameError,
    FrameReader,
    data_frames,
    encode_frame,
)
from strongroom.drivers.guest.base import RestoreSource


class BackupDownload:
    """An agent's backup body: iterate `chunks()` to the end, then read `trailer()`.
    A body cut short, malformed, or ending with the agent's error raises
    `InfrastructureError` from `chunks()` instead of ending quietly."""

    def __init__(
        self,
        body: Iterator[bytes],
        instance_id: str,
        encoding: StreamEncoding = StreamEncoding.NATIVE,
    ) -> None:
        self._reader = FrameReader(body)
        self._instance_id = instance_id
        self._trailer: BackupTrailer | None = None
        self.encoding = encoding
        """The encoding asked for (the agent's trailer confirms it)."""

    def chunks(self) -> Iterator[bytes]:
        try:
            while True:
                frame = self._reader.next_frame()
                if frame.kind == FRAME_DATA:
                    yield frame.payload
                elif frame.kind == FRAME_END:
                    self._reader.expect_end()
                    self._trailer = BackupTrailer.model_validate_json(frame.payload)
                    return
                elif frame.kind == FRAME_ERROR:
                    error = ErrorDetail.model_validate_json(frame.payload)
                    raise InfrastructureError(
                        f"agent backup failed: {error.message}",
                        detail=f"instance {self._instance_id}: {error.detail}",
                        retryable=error.retryable,
                    )
                else:
                    raise FrameError(f"unexpected frame {frame.kind!r} in a backup body")
        except (FrameError, ValidationError) as exc:
            raise InfrastructureError(
                "the agent's backup stream was cut short or malformed",
                detail=f"instance {self._instance_id}: {exc}",
                retryable=True,
            ) from exc

    def trailer(self) -> BackupTrailer:
        """How the stream ended (its checkpoint); only after `chunks()` was exhausted."""
        if self._trailer is None:
            raise InfrastructureError("the backup stream has not ended yet")
        return self._trailer


def restore_body(parts: list[RestoreSource]) -> Iterator[bytes]:
    """The framed restore body for `parts` (the full first, then incrementals in order)."""
    for index, part in enumerate(parts):
        header = RestorePart(index=index, kind=part.kind, encoding=part.encoding)
        yield encode_frame(FRAME_PART, wire_json(header))
        yield from data_frames(part.chunks)
    yield encode_frame(FRAME_END, wire_json(RestoreTrailer(parts=len(parts))))
