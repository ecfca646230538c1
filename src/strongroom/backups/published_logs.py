"""Engine logs published into the backup object store (Trove's `log publish`).

A published log is a series of parts under `logs/<instance>/<log>/`, each holding the bytes
the engine wrote since the previous publish, and a metafile saying how many bytes and parts
there are. A part is written before the metafile that counts it, so a crash between the two
leaves a part that the next publish overwrites: readers only ever follow the metafile.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass

from strongroom.drivers.objectstore.base import ObjectNotFound, ObjectStore

PREFIX = "logs"
CONTAINER = "database_logs"
"""The name shown as the log's `container` (the store's namespace for published logs)."""


@dataclass(frozen=True)
class PublishedState:
    """How much of a log is in the store: its first `published_bytes` bytes, in `parts`."""

    published_bytes: int = 0
    parts: int = 0


class PublishedLog:
    """One instance's published copy of one engine log."""

    def __init__(self, store: ObjectStore, instance_id: str, name: str) -> None:
        self.store = store
        self.prefix = f"{PREFIX}/{instance_id}/{name}/"

    @property
    def metafile(self) -> str:
        return f"{self.prefix}metafile.json"

    def state(self) -> PublishedState:
        try:
            raw = b"".join(self.store.get(self.metafile))
        except ObjectNotFound:
            return PublishedState()
        return PublishedState(**json.loads(raw))

    def append(self, chunks: Iterable[bytes]) -> PublishedState:
        """Store `chunks` as the next part, then count it; an empty part is not stored."""
        before = self.state()
        key = self._part(before.parts + 1)
        size = self.store.put(key, chunks)
        if size == 0:
            self.store.delete(key)
            return before
        after = PublishedState(before.published_bytes + size, before.parts + 1)
        self.store.put(self.metafile, [json.dumps(asdict(after)).encode()])
        return after

    def read(self) -> Iterator[bytes]:
        """The published bytes, part after part."""
        for index in range(1, self.state().parts + 1):
            yield from self.store.get(self._part(index))

    def discard(self) -> None:
        """Forget the published copy: the metafile first, so a crash leaves only unlisted
        parts, which the next publish overwrites and the next discard removes."""
        parts = self.state().parts
        self.store.delete(self.metafile)
        index = 1
        while index <= parts or self.store.exists(self._part(index)):
            self.store.delete(self._part(index))
            index += 1

    def _part(self, index: int) -> str:
        return f"{self.prefix}part-{index:06d}"
