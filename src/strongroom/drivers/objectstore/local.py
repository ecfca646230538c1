"""Objects as files in a directory (the embedded default: `<state_dir>/backups`).

A put writes `<key>.partial-<random>` and renames it into place after an fsync, so a crash
leaves at most a partial file that no reader sees (`sweep_partials` removes them)."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from strongroom.drivers.objectstore.base import ObjectNotFound
from strongroom.drivers.objectstore.keys import checked_key

PARTIAL_MARK = ".partial-"


class LocalObjectStore:
    """An `ObjectStore` rooted at `directory` (created 0700 on first use)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def put(self, key: str, chunks: Iterable[bytes]) -> int:
        path = self._path(key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}{PARTIAL_MARK}{secrets.token_hex(4)}")
        size = 0
        try:
            try:
                fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileNotFoundError:  # a delete pruned the directory meanwhile
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as sink:
                for chunk in chunks:
                    sink.write(chunk)
                    size += len(chunk)
                sink.flush()
                os.fsync(sink.fileno())
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return size

    def get(self, key: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        path = self._path(key)
        try:
            source = path.open("rb")
        except FileNotFoundError:
            raise ObjectNotFound(f"backup object {key!r} does not exist") from None
        with source:
            while chunk := source.read(chunk_size):
                yield chunk

    def delete(self, key: str) -> None:
        """Remove the file, then the directories it leaves empty (up to the store's root)."""
        path = self._path(key)
        path.unlink(missing_ok=True)
        for parent in path.parents:
            if parent == self.directory or self.directory not in parent.parents:
                break
            try:
                parent.rmdir()
            except OSError:  # not empty (or already gone): stop here
                break

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise ObjectNotFound(f"backup object {key!r} does not exist") from None

    def sweep_partials(self) -> int:
        """Remove files left by interrupted puts; returns how many."""
        return self.sweep_orphans(0)

    def sweep_orphans(self, idle_seconds: float) -> int:
        """Remove files of puts that stopped writing `idle_seconds` ago or longer (a put
        still running keeps writing, so it is never swept); returns how many."""
        cutoff = time.time() - idle_seconds
        removed = 0
        for path in self.directory.rglob(f"*{PARTIAL_MARK}*"):
            try:
                if path.is_file() and path.stat().st_mtime <= cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # its put finished or another sweep took it
                continue
        return removed

    def _path(self, key: str) -> Path:
        return self.directory / checked_key(key)
