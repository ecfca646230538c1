"""Frames and exact reads survive any chunking of the byte stream (the network decides it)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.contracts.framing import (
    FRAME_DATA,
    FRAME_END,
    ByteReader,
    FrameError,
    FrameReader,
    data_frames,
    encode_frame,
)

pytestmark = pytest.mark.unit


def cut(data: bytes, sizes: list[int]) -> list[bytes]:
    pieces, start = [], 0
    for size in sizes:
        pieces.append(data[start : start + size])
        start += size
    return [*pieces, data[start:]]


@given(st.binary(max_size=3000), st.lists(st.integers(0, 700), max_size=12), st.data())
def test_exact_reads_return_the_stream_whatever_the_chunking(
    data: bytes, sizes: list[int], draw: st.DataObject
) -> None:
    reader = ByteReader(iter(cut(data, sizes)))
    got, left = [], len(data)
    while left:
        size = draw.draw(st.integers(1, left))
        got.append(reader.read_exact(size))
        left -= size
    assert b"".join(got) == data
    assert reader.at_end()
    with pytest.raises(FrameError):
        reader.read_exact(1)


def test_the_same_chunk_object_twice_is_read_twice() -> None:
    chunk = b"abcdef"
    reader = ByteReader(iter([chunk, chunk]))
    assert reader.read_exact(4) == b"abcd"
    assert reader.read_exact(6) == b"efabcd"
    assert reader.read_exact(2) == b"ef"
    assert reader.at_end()


@given(st.lists(st.binary(max_size=50), max_size=8), st.integers(1, 20), st.integers(1, 64))
def test_data_frames_carry_every_byte_in_order(
    chunks: list[bytes], limit: int, rechunk: int
) -> None:
    raw = b"".join([*data_frames(iter(chunks), limit), encode_frame(FRAME_END)])
    reader = FrameReader(iter([raw[i : i + rechunk] for i in range(0, len(raw), rechunk)]))
    payloads = []
    while (frame := reader.next_frame()).kind != FRAME_END:
        assert frame.kind == FRAME_DATA and len(frame.payload) <= limit
        payloads.append(frame.payload)
    reader.expect_end()
    assert b"".join(payloads) == b"".join(chunks)
