"""Host counters: the device behind a mount point, block and interface statistics."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom.drivers.linux import counters

pytestmark = pytest.mark.unit

MOUNTINFO = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
93 22 7:3 / /var/lib/sr/mounts/abc rw,relatime shared:50 - ext4 /dev/loop3 rw
94 22 0:5 / /var/lib/sr/mounts/tmp rw - tmpfs tmpfs rw
"""


def test_mounted_device_names_the_loop_device(tmp_path: Path) -> None:
    info = tmp_path / "mountinfo"
    info.write_text(MOUNTINFO)
    assert counters.mounted_device(Path("/var/lib/sr/mounts/abc"), info) == "loop3"
    assert counters.mounted_device(Path("/var/lib/sr/mounts/tmp"), info) is None
    assert counters.mounted_device(Path("/nowhere"), info) is None


def test_block_io_and_interfaces_read_the_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "loop3").mkdir()
    (tmp_path / "loop3" / "stat").write_text("  10 0 80 5 20 0 160 9 0 14 14 0 0 0 0\n")
    monkeypatch.setattr(counters, "SYS_BLOCK", tmp_path)
    assert counters.block_io("loop3") == (80 * 512, 160 * 512, 10, 20)
    assert counters.block_io("../loop3") is None
    assert counters.block_io("loop9") is None
    assert counters.interface_bytes("lo") is not None
    assert counters.interface_bytes("no-such-if0") is None
