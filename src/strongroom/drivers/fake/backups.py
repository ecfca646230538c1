"""The fake engine's backups: its record (databases, users, root, configuration) as a JSON
stream (native: the pipeline compresses it, as for an agent that predates agent-side
compression), with a checkpoint that counts backups, so that a restore reproduces the record
as of the backup and refuses a chain that does not link up, like a real engine. A restore
part sent as the stored zstd frame is decompressed with `zstd`, as the agent does."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

from strongroom.contracts.backups import BackupKind, BackupTrailer, StreamEncoding
from strongroom.contracts.errors import BadRequest
from strongroom.drivers.guest.base import RestoreSource

ENGINE = "fake"
CHUNK_BYTES = 4096


class FakeBackupStream:
    """A `BackupStreamSource` over one snapshot of the engine record."""

    def __init__(
        self, engine: dict[str, Any], kind: BackupKind, parent_checkpoint: str | None
    ) -> None:
        if kind is BackupKind.INCREMENTAL and not parent_checkpoint:
            raise BadRequest("an incremental backup needs its parent's checkpoint")
        self.kind = kind
        self.checkpoint = f"fake-lsn:{engine.get('backups_taken', 0) + 1}"
        doc = {"kind": kind.value, "from": parent_checkpoint, "to": self.checkpoint}
        self._data = json.dumps({**doc, "engine": engine}).encode()
        self._ended = False
        self.encoding = StreamEncoding.NATIVE

    def chunks(self) -> Iterator[bytes]:
        for start in range(0, len(self._data), CHUNK_BYTES):
            yield self._data[start : start + CHUNK_BYTES]
        self._ended = True

    def trailer(self) -> BackupTrailer:
        if not self._ended:
            raise RuntimeError("the fake backup stream has not ended yet")
        return BackupTrailer(
            kind=self.kind, engine=ENGINE, checkpoint=self.checkpoint, data_bytes=len(self._data)
        )


def restored_engine(parts: list[RestoreSource]) -> dict[str, Any]:
    """The engine record the chain restores to: the last part's snapshot, after checking that
    the first part is a full and each next one continues the previous one."""
    previous: str | None = None
    engine: dict[str, Any] = {}
    for index, (kind, chunks, encoding) in enumerate(parts):
        data = b"".join(chunks)
        if encoding is StreamEncoding.ZSTD:
            data = _decompressed(data, index)
        if index > 0 and data[:4] in (b"wal/", b"stro", b"\0\0\0\0"):
            continue  # a part of archived WAL (`backups.wal_part`): nothing for the fake
        try:
            doc = json.loads(data)
        except ValueError:
            raise BadRequest(f"restore part {index} is not a fake backup") from None
        expected = BackupKind.FULL if index == 0 else BackupKind.INCREMENTAL
        if kind is not expected or doc.get("kind") != expected.value:
            raise BadRequest(f"restore part {index} is not a {expected.value} backup")
        if index > 0 and doc.get("from") != previous:
            raise BadRequest(f"restore part {index} does not continue part {index - 1}")
        previous, engine = doc.get("to"), doc["engine"]
    if not parts:
        raise BadRequest("a restore needs at least one part")
    return engine


def _decompressed(data: bytes, index: int) -> bytes:
    result = subprocess.run(
        ["zstd", "-d", "-q", "-c"], input=data, capture_output=True, check=False
    )
    if result.returncode != 0:
        raise BadRequest(f"restore part {index} is not a zstd frame")
    return result.stdout
