"""The local object store sweeps the files of interrupted puts once they are idle long enough."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from strongroom.drivers.objectstore.local import LocalObjectStore

pytestmark = pytest.mark.unit


def test_the_local_store_sweeps_only_partials_idle_long_enough(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "store")
    store.put("inst-1/kept", [b"kept"])
    (tmp_path / "store" / "inst-1" / "old.partial-1234").write_bytes(b"killed put")
    (tmp_path / "store" / "inst-1" / "new.partial-5678").write_bytes(b"running put")
    old = tmp_path / "store" / "inst-1" / "old.partial-1234"
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert store.sweep_orphans(3600) == 1
    assert sorted(p.name for p in (tmp_path / "store" / "inst-1").iterdir()) == [
        "kept",
        "new.partial-5678",
    ]
