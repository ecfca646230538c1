"""Published logs: parts counted by a metafile written after them, so a crash in between
is invisible to readers and the next publish overwrites the stray part."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom.backups.published_logs import PublishedLog
from strongroom.drivers.objectstore.local import LocalObjectStore

pytestmark = pytest.mark.unit


def test_append_read_discard(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "store")
    log = PublishedLog(store, "i-1", "error")
    assert log.state().published_bytes == 0 and b"".join(log.read()) == b""
    log.append([b"one\n", b"two\n"])
    state = log.append([b"three\n"])
    assert (state.published_bytes, state.parts) == (14, 2)
    assert b"".join(log.read()) == b"one\ntwo\nthree\n"
    assert log.append([]) == state, "an empty publish adds no part"
    log.discard()
    assert log.state().parts == 0 and not any((tmp_path / "store").iterdir())


def test_a_part_without_its_metafile_is_invisible_and_overwritten(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "store")
    log = PublishedLog(store, "i-1", "error")
    log.append([b"kept\n"])
    store.put(f"{log.prefix}part-000002", [b"crashed before the metafile\n"])
    assert b"".join(log.read()) == b"kept\n"
    log.append([b"next\n"])
    assert b"".join(log.read()) == b"kept\nnext\n"


def test_discard_removes_stray_parts_too(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "store")
    log = PublishedLog(store, "i-1", "error")
    log.append([b"a"])
    store.put(f"{log.prefix}part-000002", [b"stray"])
    log.discard()
    assert not any((tmp_path / "store").iterdir())
