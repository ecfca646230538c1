"""Loop-mounted ext4 volumes: create, mount, grow online, refuse shrink, leave nothing behind."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from linux_sandbox import Run

from strongroom.contracts.errors import BadRequest, InfrastructureError, NotImplementedYet
from strongroom.drivers.linux import volumes
from strongroom.drivers.linux.commands import run as run_command

pytestmark = pytest.mark.e2e

MIB = 1024 * 1024


@pytest.fixture
def volume(run: Run, request: pytest.FixtureRequest) -> Iterator[tuple[Path, Path]]:
    """(image, mountpoint) under the run's directory, torn down with the library's own calls."""
    image = run.dir / f"{request.node.name}.img"
    mountpoint = run.dir / f"{request.node.name}.mnt"
    yield image, mountpoint
    volumes.unmount(mountpoint)
    volumes.remove_image(image)
    if mountpoint.exists():
        mountpoint.rmdir()


def _losetup_j(image: Path) -> str:
    return run_command(["losetup", "-j", str(image)]).stdout.strip()


def test_volume_lifecycle_grows_mounted_and_leaves_nothing(volume: tuple[Path, Path]) -> None:
    image, mountpoint = volume
    volumes.create_image(image, 64 * MIB)
    assert os.stat(image).st_blocks * 512 < 64 * MIB  # sparse
    device = volumes.mount_image(image, mountpoint)
    assert volumes.mount_image(image, mountpoint) == device
    before = volumes.usage(mountpoint)
    payload = os.urandom(8 * MIB)
    (mountpoint / "data.bin").write_bytes(payload)
    os.sync()
    after = volumes.usage(mountpoint)
    assert after.used_bytes - before.used_bytes >= 8 * MIB
    assert after.used_inodes == before.used_inodes + 1
    assert after.total_bytes == before.total_bytes > 50 * MIB

    if not volumes.can_grow_online():
        with pytest.raises(NotImplementedYet):
            volumes.grow_image(image, 128 * MIB)
        assert os.stat(image).st_size == 64 * MIB  # the refusal changed nothing
    volumes.grow_mounted(image, mountpoint, 128 * MIB)
    grown = volumes.usage(mountpoint)
    assert grown.total_bytes > before.total_bytes + 60 * MIB
    assert volumes.mount_source(mountpoint) == device
    digest = hashlib.sha256((mountpoint / "data.bin").read_bytes()).digest()
    assert digest == hashlib.sha256(payload).digest()
    with pytest.raises(BadRequest):
        volumes.grow_image(image, 64 * MIB)
    with pytest.raises(BadRequest):
        volumes.grow_mounted(image, mountpoint, 64 * MIB)
    assert os.stat(image).st_size == 128 * MIB
    assert volumes.usage(mountpoint).total_bytes == grown.total_bytes
    volumes.grow_mounted(image, mountpoint, 128 * MIB)  # same size: no change
    assert volumes.usage(mountpoint).total_bytes == grown.total_bytes

    volumes.unmount(mountpoint)
    volumes.unmount(mountpoint)
    volumes.remove_image(image)
    volumes.remove_image(image)
    assert not image.exists()
    assert volumes.mount_source(mountpoint) is None
    assert volumes.list_loop_devices(str(image)) == []


def test_mount_reuses_a_stale_loop_device_even_after_an_interrupted_grow(
    volume: tuple[Path, Path],
) -> None:
    image, mountpoint = volume
    volumes.create_image(image, 32 * MIB)
    stale = run_command(["losetup", "--find", "--show", str(image)]).stdout.strip()
    os.truncate(image, 48 * MIB)  # a grow that crashed before the filesystem was resized
    assert volumes.mount_image(image, mountpoint) == stale
    assert volumes.loop_devices(image) == [stale]
    assert _losetup_j(image).count("/dev/loop") == 1
    small = volumes.usage(mountpoint).total_bytes
    volumes.grow_mounted(image, mountpoint, 48 * MIB)  # completes the interrupted grow
    assert volumes.loop_devices(image) == [stale]
    assert volumes.usage(mountpoint).total_bytes > small + 12 * MIB


def test_offline_grow_and_refusals(volume: tuple[Path, Path], run: Run) -> None:
    image, mountpoint = volume
    volumes.create_image(image, 16 * MIB)
    volumes.create_image(image, 16 * MIB)  # already ext4: untouched
    volumes.mount_image(image, mountpoint)
    before = volumes.usage(mountpoint).total_bytes
    volumes.unmount(mountpoint, lazy=False)
    volumes.grow_image(image, 24 * MIB)
    volumes.mount_image(image, mountpoint)
    assert volumes.usage(mountpoint).total_bytes > before + 7 * MIB
    with pytest.raises(InfrastructureError, match="still mounted"):
        volumes.remove_image(image)
    with pytest.raises(InfrastructureError, match="no volume mounted"):
        volumes.usage(run.dir)
    with pytest.raises(InfrastructureError, match="missing"):
        volumes.mount_image(run.dir / "absent.img", run.dir / "absent.mnt")


def test_detach_handles_a_deleted_backing_file(volume: tuple[Path, Path]) -> None:
    image, _ = volume
    volumes.create_image(image, 16 * MIB)
    device = run_command(["losetup", "--find", "--show", str(image)]).stdout.strip()
    image.unlink()
    [found] = volumes.list_loop_devices(str(image))
    assert (found.name, found.deleted) == (device, True)
    volumes.detach_loop_devices(image)
    assert volumes.list_loop_devices(str(image)) == []
