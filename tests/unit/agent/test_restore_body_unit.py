"""The agent reads a restore body part by part and accepts it only when it ends properly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from strongroom.contracts.backups import BackupKind, StreamEncoding
from strongroom.contracts.framing import FRAME_DATA, FrameError, FrameReader, encode_frame
from strongroom.drivers.guest.backup_stream import restore_body
from strongroom.drivers.guest.base import RestoreSource
from strongroom_agent.backups import restore_parts

pytestmark = pytest.mark.unit


def body(*parts: list[bytes]) -> list[bytes]:
    kinds = [BackupKind.FULL] + [BackupKind.INCREMENTAL] * (len(parts) - 1)
    return list(
        restore_body([RestoreSource(k, iter(p)) for k, p in zip(kinds, parts, strict=True)])
    )


def rechunked(frames: list[bytes], size: int) -> Iterator[bytes]:
    raw = b"".join(frames)
    return iter([raw[i : i + size] for i in range(0, len(raw), size)])


def read_all(chunks: Iterator[bytes]) -> list[bytes]:
    return [b"".join(part.chunks) for part in restore_parts(FrameReader(chunks))]


@pytest.mark.parametrize("size", [1, 7, 4096])
def test_parts_arrive_in_order_whatever_the_chunking(size: int) -> None:
    frames = body([b"full-", b"data"], [b"incr-1"], [], [b"incr-3"])
    assert read_all(rechunked(frames, size)) == [b"full-data", b"incr-1", b"", b"incr-3"]


@pytest.mark.parametrize("cut", [1, 3, 5, 9])
def test_a_body_cut_anywhere_is_refused(cut: int) -> None:
    raw = b"".join(body([b"full-data" * 10], [b"incr"]))
    with pytest.raises(FrameError):
        read_all(iter([raw[:-cut]]))


def test_a_body_without_its_end_frame_is_refused() -> None:
    with pytest.raises(FrameError, match="end frame"):
        read_all(iter(body([b"full"])[:-1]))


def test_bytes_after_the_end_and_miscounted_parts_are_refused() -> None:
    with pytest.raises(FrameError, match="follow the end"):
        read_all(iter([*body([b"full"]), encode_frame(FRAME_DATA, b"x")]))
    frames = body([b"full"], [b"incr"])
    with pytest.raises(FrameError, match="trailer"):
        read_all(iter(frames[:-1] + body([b"x"])[-1:]))  # trailer says 1 part, 2 were sent


def test_an_empty_or_garbage_body_is_refused() -> None:
    with pytest.raises(FrameError):
        read_all(iter([]))
    with pytest.raises(FrameError, match="malformed"):
        read_all(iter([b"Z\x00\x00\x00\x01x"]))


def test_each_part_arrives_with_its_encoding() -> None:
    sources = [
        RestoreSource(BackupKind.FULL, iter([b"zstd-frame"]), StreamEncoding.ZSTD),
        RestoreSource(BackupKind.INCREMENTAL, iter([b"wal tar"])),
    ]
    parts = restore_parts(FrameReader(iter(restore_body(sources))))
    seen = [(part.encoding, b"".join(part.chunks)) for part in parts]
    assert seen == [(StreamEncoding.ZSTD, b"zstd-frame"), (StreamEncoding.NATIVE, b"wal tar")]


def test_a_native_part_header_reads_as_before_the_encoding_field() -> None:
    frames = body([b"full"])
    assert b"encoding" not in frames[0]  # peers that predate the field still read it
