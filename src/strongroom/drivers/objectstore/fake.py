"""An in-memory object store for unit tests, with a hook to damage stored objects."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from strongroom.drivers.objectstore.base import ObjectNotFound
from strongroom.drivers.objectstore.keys import checked_key


class FakeObjectStore:
    """An `ObjectStore` keeping objects in a dict; `objects` is open for tests to tamper."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, chunks: Iterable[bytes]) -> int:
        data = b"".join(chunks)  # raises before storing anything, like an atomic put
        self.objects[checked_key(key)] = data
        return len(data)

    def get(self, key: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        data = self._data(key)
        for start in range(0, len(data), chunk_size):
            yield data[start : start + chunk_size]

    def delete(self, key: str) -> None:
        self.objects.pop(checked_key(key), None)

    def exists(self, key: str) -> bool:
        return checked_key(key) in self.objects

    def size(self, key: str) -> int:
        return len(self._data(key))

    def _data(self, key: str) -> bytes:
        try:
            return self.objects[checked_key(key)]
        except KeyError:
            raise ObjectNotFound(f"backup object {key!r} does not exist") from None
