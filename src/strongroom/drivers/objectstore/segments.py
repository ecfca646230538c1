"""Cutting a stream of chunks into consecutive segments of a fixed size (Swift large-object
segments, S3 multipart parts) without holding more than one chunk beyond what is sent."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator


class Segmenter:
    """`segment()` yields the next at most `size` bytes of `chunks`, as pieces; `has_more()`
    says whether another segment follows (so no empty segment is ever started)."""

    def __init__(self, chunks: Iterable[bytes], size: int) -> None:
        self._chunks = iter(chunks)
        self._size = size
        self._chunk = b""
        self._offset = 0

    def has_more(self) -> bool:
        while self._offset >= len(self._chunk):
            try:
                self._chunk, self._offset = next(self._chunks), 0
            except StopIteration:
                return False
        return True

    def segment(self) -> Iterator[bytes]:
        left = self._size
        while left and self.has_more():
            start = self._offset
            end = min(len(self._chunk), start + left)
            self._offset = end
            left -= end - start
            whole = start == 0 and end == len(self._chunk)
            yield self._chunk if whole else self._chunk[start:end]


class MeasuredPieces:
    """Pieces passed through while counting their bytes and MD5 (a Swift segment's etag)."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        for piece in self._pieces:
            self.md5.update(piece)
            self.size += len(piece)
            yield piece
