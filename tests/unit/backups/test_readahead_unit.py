"""read_ahead: the same items in the same order, the source's error where it would have been
met, and a consumer that stops early stops the thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from strongroom.backups.readahead import read_ahead


def test_items_arrive_whole_and_in_order() -> None:
    items = [bytes([n]) * (n + 1) for n in range(200)]
    assert list(read_ahead(iter(items), depth=3)) == items


def test_the_source_error_is_raised_after_the_items_before_it() -> None:
    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("cut short")

    got: list[int] = []
    with pytest.raises(ValueError, match="cut short"):
        for item in read_ahead(source()):
            got.append(item)
    assert got == [1, 2]


def test_closing_early_stops_reading_the_source() -> None:
    read = 0

    def endless() -> Iterator[int]:
        nonlocal read
        while True:
            read += 1
            yield read

    ahead = read_ahead(endless(), depth=2)
    assert next(ahead) == 1
    ahead.close()
    count = read
    assert not any(t.name == "read-ahead" and t.is_alive() for t in threading.enumerate())
    assert read == count and count <= 5  # depth 2 + the item in hand + the one being offered
