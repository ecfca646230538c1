"""The object store interface: whole objects written and read as streams of bytes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from strongroom.contracts.errors import NotFound


class ObjectNotFound(NotFound):
    """The store has no object under that key."""

    code = "object_not_found"


class ObjectStore(Protocol):
    """A flat namespace of immutable objects. Keys are `/`-separated names of safe
    characters (letters, digits, `-`, `_`, `.`); a bad key raises `BadRequest`."""

    def put(self, key: str, chunks: Iterable[bytes]) -> int:
        """Store the concatenated `chunks` under `key` (replacing any object there) and return
        the size. Atomic: readers see the old object or the complete new one, never a part;
        if `chunks` raises, nothing is left behind and the error propagates."""
        ...

    def get(self, key: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """The object's bytes in chunks of at most `chunk_size`; `ObjectNotFound` if absent
        (raised on the first `next`)."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; a missing one is fine."""

    def exists(self, key: str) -> bool:
        """Whether an object is stored under `key`."""
        ...

    def size(self, key: str) -> int:
        """The object's size in bytes; `ObjectNotFound` if absent."""
        ...
