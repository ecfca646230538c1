"""Reading a byte range, or the tail, of a log file that the server may be appending to."""

from __future__ import annotations

import os
from pathlib import Path


def read_range(path: Path, offset: int | None, length: int) -> tuple[int, bytes, int]:
    """(start, data, file size): `length` bytes from `offset`, or the last `length` bytes
    when `offset` is None. A missing file reads as empty; an offset past the end gives no data."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return 0, b"", 0
    try:
        size = os.fstat(fd).st_size
        start = max(size - length, 0) if offset is None else min(max(offset, 0), size)
        data = os.pread(fd, min(length, size - start), start)
    finally:
        os.close(fd)
    return start, data, size
