"""Framed byte streams between the control plane and the agent (backup and restore bodies).

A body is a sequence of frames: one type byte, a 4-byte big-endian payload length, the
payload. `D` carries data, `P` opens a part (JSON), `E` ends the stream (JSON trailer), `X`
reports an error (JSON `ErrorDetail`). A stream that stops before its `E` frame, or inside a
frame, is truncated, and both sides refuse it: HTTP alone cannot tell a cut connection from
the end of a chunked body.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

FRAME_DATA = b"D"
FRAME_PART = b"P"
FRAME_END = b"E"
FRAME_ERROR = b"X"
FRAME_TYPES = frozenset({FRAME_DATA, FRAME_PART, FRAME_END, FRAME_ERROR})
MAX_FRAME_PAYLOAD = 8 * 1024 * 1024
MEDIA_TYPE = "application/vnd.strongroom.frames"
_HEADER = struct.Struct(">cI")


class FrameError(ValueError):
    """A framed stream that is truncated or malformed."""


@dataclass(frozen=True)
class Frame:
    kind: bytes
    payload: bytes


def frame_header(kind: bytes, size: int) -> bytes:
    """The 5 bytes that open a frame of `size` payload bytes (send the payload after it)."""
    if kind not in FRAME_TYPES or size > MAX_FRAME_PAYLOAD:
        raise FrameError(f"cannot frame {kind!r} with {size} bytes")
    return _HEADER.pack(kind, size)


def encode_frame(kind: bytes, payload: bytes = b"") -> bytes:
    """One frame as bytes."""
    return frame_header(kind, len(payload)) + payload


def data_frames(chunks: Iterator[bytes], limit: int = 1 << 20) -> Iterator[bytes]:
    """`chunks` as `D` frames of at most `limit` bytes each, each yielded whole (header and
    payload in one piece: one write, one chunk of the HTTP body, per frame)."""
    for chunk in chunks:
        if len(chunk) <= limit:
            yield b"".join((frame_header(FRAME_DATA, len(chunk)), chunk))
            continue
        with memoryview(chunk) as view:
            for start in range(0, len(chunk), limit):
                piece = view[start : start + limit]
                yield b"".join((frame_header(FRAME_DATA, len(piece)), piece))


class ByteReader:
    """Exact reads over an iterator of chunks; `FrameError` when it ends too early. A read
    that one chunk holds whole is that chunk (no copy) or one slice of it; a read across
    chunks is one join."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._current = b""
        self._offset = 0

    def read_exact(self, size: int) -> bytes:
        """The next `size` bytes; `FrameError` if the stream ends first."""
        current, offset = self._current, self._offset
        if len(current) - offset >= size:
            self._offset = offset + size
            if offset == 0 and size == len(current):
                return current
            return current[offset : offset + size]
        pieces: list[bytes | memoryview] = [memoryview(current)[offset:]]
        missing = size - (len(current) - offset)
        self._current, self._offset = b"", 0
        while missing:
            chunk = next(self._chunks, None)
            if chunk is None:
                raise FrameError("the stream ended in the middle of a record")
            if len(chunk) <= missing:
                pieces.append(chunk)
                missing -= len(chunk)
            else:
                pieces.append(memoryview(chunk)[:missing])
                self._current, self._offset = chunk, missing
                missing = 0
        return b"".join(pieces)

    def at_end(self) -> bool:
        """Whether every byte has been read (pulls a chunk if needed to know)."""
        while len(self._current) == self._offset:
            chunk = next(self._chunks, None)
            if chunk is None:
                return True
            self._current, self._offset = chunk, 0
        return False


class FrameReader:
    """Frames out of an iterator of byte chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._reader = ByteReader(chunks)

    def next_frame(self) -> Frame:
        """The next frame; `FrameError` when the stream ends (it must end with `E` or `X`,
        after which the caller stops reading) or a frame is malformed."""
        if self._reader.at_end():
            raise FrameError("the stream ended before its end frame")
        kind, size = _HEADER.unpack(self._reader.read_exact(_HEADER.size))
        if kind not in FRAME_TYPES or size > MAX_FRAME_PAYLOAD:
            raise FrameError(f"malformed frame (type {kind!r}, {size} bytes)")
        return Frame(kind, self._reader.read_exact(size))

    def expect_end(self) -> None:
        """`FrameError` unless the stream has no byte after its end frame."""
        if not self._reader.at_end():
            raise FrameError("bytes follow the end frame")
