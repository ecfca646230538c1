"""Mount-table parsing and argument checks of the volume primitives."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom.drivers.linux.volumes import Mount, create_image, parse_mountinfo

pytestmark = pytest.mark.unit

MOUNTINFO = (
    "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
    "90 22 7:0 / /tmp/srt0a1b2c/with\\040space rw,noatime - ext4 /dev/loop0 rw\n"
    "91 22 0:5 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
)


def test_mountinfo_is_parsed_with_escapes() -> None:
    assert parse_mountinfo(MOUNTINFO) == [
        Mount(source="/dev/vda", target="/", fstype="ext4"),
        Mount(source="/dev/loop0", target="/tmp/srt0a1b2c/with space", fstype="ext4"),
        Mount(source="cgroup", target="/sys/fs/cgroup/memory", fstype="cgroup"),
    ]


@pytest.mark.parametrize("size", [0, 4096, 8 * 1024 * 1024 + 1])
def test_image_sizes_are_checked_before_anything_is_made(tmp_path: Path, size: int) -> None:
    with pytest.raises(ValueError):
        create_image(tmp_path / "x.img", size)
    assert not (tmp_path / "x.img").exists()
