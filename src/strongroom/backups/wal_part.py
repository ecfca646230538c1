"""The restore part that carries archived WAL to an engine that recovers from it: one tar
stream (built while the files are read from the store, never whole in memory) with the files
under `wal/` and, optionally, the recovery target as `strongroom-recovery.json`
(`{"target_time": ISO-8601}` or `{"target_lsn": ...}`)."""

from __future__ import annotations

import json
import tarfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

RECOVERY_FILE = "strongroom-recovery.json"
WAL_DIR = "wal"
_BLOCK = 512


@dataclass(frozen=True)
class WalFile:
    """One archived WAL file: its name, its size once opened, and its bytes."""

    name: str
    size: int
    chunks: Iterator[bytes]


def wal_part(files: Iterable[WalFile], target: dict[str, str] | None) -> Iterator[bytes]:
    """The tar stream of `files` (in order) and the target. A file whose bytes do not add up
    to its size raises `ValueError` (the receiving engine then sees a cut body)."""
    for item in files:
        yield _header(f"{WAL_DIR}/{item.name}", item.size)
        sent = 0
        for chunk in item.chunks:
            sent += len(chunk)
            yield chunk
        if sent != item.size:
            raise ValueError(f"WAL file {item.name}: {sent} bytes, expected {item.size}")
        yield _padding(item.size)
    if target is not None:
        data = json.dumps(target).encode()
        yield _header(RECOVERY_FILE, len(data)) + data + _padding(len(data))
    yield b"\0" * (2 * _BLOCK)


def _header(name: str, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(time.time())
    return info.tobuf(format=tarfile.GNU_FORMAT)


def _padding(size: int) -> bytes:
    return b"\0" * (-size % _BLOCK)
