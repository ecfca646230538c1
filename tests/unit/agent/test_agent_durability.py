"""The one-flush install: the partial directory becomes the data directory, durable first."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom_agent.engines.durability import sync_filesystem, sync_then_rename


def test_partial_directory_is_renamed_into_place(tmp_path: Path) -> None:
    partial, final = tmp_path / "mysql.partial", tmp_path / "mysql"
    partial.mkdir()
    (partial / "ibdata1").write_bytes(b"x" * 4096)
    sync_then_rename(partial, final)
    assert not partial.exists()
    assert (final / "ibdata1").read_bytes() == b"x" * 4096


def test_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        sync_filesystem(tmp_path / "absent")
