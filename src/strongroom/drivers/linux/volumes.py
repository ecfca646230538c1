"""Volumes as ext4 image files on loop devices: create, mount, grow, measure, remove.

A file is attached to at most one loop device by these functions: mounting reuses a device
an earlier (possibly crashed) run left attached, so the same ext4 filesystem is never
mounted through two devices. Growing a mounted ext4 needs CAP_SYS_RESOURCE, which some
hosts withhold even from root: `grow_mounted` then unmounts, grows offline and remounts.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from strongroom.contracts.errors import BadRequest, InfrastructureError, NotImplementedYet
from strongroom.drivers.linux.commands import describe, run

MIB = 1024 * 1024
MIN_SIZE = 8 * MIB
DEFAULT_MOUNT_OPTIONS = ("noatime", "nodev", "nosuid")

_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")
_DELETED = " (deleted)"
_MAX_STACKED_MOUNTS = 8
_CAP_SYS_RESOURCE = 24


@dataclass(frozen=True)
class Mount:
    """One line of /proc/self/mountinfo."""

    source: str
    target: str
    fstype: str


@dataclass(frozen=True)
class LoopDevice:
    """An attached loop device and the file behind it (`deleted` if it was unlinked)."""

    name: str
    backing_file: str
    deleted: bool


@dataclass(frozen=True)
class VolumeUsage:
    """Space and inodes of a mounted filesystem; `free_*` is what unprivileged users can use."""

    total_bytes: int
    used_bytes: int
    free_bytes: int
    total_inodes: int
    used_inodes: int
    free_inodes: int


# --- inventory --------------------------------------------------------------------------------


def _unescape(field: str) -> str:
    return _OCTAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field)


def parse_mountinfo(text: str) -> list[Mount]:
    """Parse the text of /proc/<pid>/mountinfo (pure)."""
    mounts = []
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        if not sep:
            continue
        fields, tail = left.split(), right.split()
        mounts.append(Mount(source=_unescape(tail[1]), target=_unescape(fields[4]), fstype=tail[0]))
    return mounts


def list_mounts(path_prefix: str = "/") -> list[Mount]:
    """The mounts of this mount namespace whose target starts with `path_prefix`."""
    text = Path("/proc/self/mountinfo").read_text()
    return [m for m in parse_mountinfo(text) if m.target.startswith(path_prefix)]


def mount_source(mountpoint: Path) -> str | None:
    """The device mounted at `mountpoint` (the top-most mount), or None when nothing is."""
    target = str(Path(mountpoint).absolute())
    sources = [m.source for m in list_mounts(target) if m.target == target]
    return sources[-1] if sources else None


def list_loop_devices(path_prefix: str = "/") -> list[LoopDevice]:
    """Attached loop devices whose backing file path starts with `path_prefix`."""
    out = run(["losetup", "--json", "--list"]).stdout.strip()
    devices = json.loads(out)["loopdevices"] if out else []
    found = []
    for dev in devices:
        back = dev.get("back-file") or ""
        deleted = back.endswith(_DELETED)
        back = back.removesuffix(_DELETED)
        if back.startswith(path_prefix):
            found.append(LoopDevice(name=dev["name"], backing_file=back, deleted=deleted))
    return found


def loop_devices(image: Path) -> list[str]:
    """Loop devices currently attached to `image` (`losetup -j`); [] when the file is missing."""
    if not Path(image).exists():
        return []
    out = run(["losetup", "--noheadings", "--output", "NAME", "-j", str(image)]).stdout
    return sorted(line.strip() for line in out.splitlines() if line.strip())


# --- lifecycle --------------------------------------------------------------------------------


def _is_ext4(image: Path) -> bool:
    proc = run(["blkid", "-p", "-s", "TYPE", "-o", "value", str(image)], check=False)
    return proc.returncode == 0 and proc.stdout.strip() == "ext4"


def create_image(image: Path, size_bytes: int) -> None:
    """Ensure `image` is a sparse file holding an ext4 filesystem of `size_bytes`.

    An existing image that already holds ext4 is left as it is (whatever its size), so
    re-running after a crash is safe; a file without a filesystem is (re)formatted.
    """
    if size_bytes < MIN_SIZE or size_bytes % 4096:
        raise ValueError(f"size {size_bytes} must be a multiple of 4096 and >= {MIN_SIZE}")
    image = Path(image)
    if image.exists() and _is_ext4(image):
        return
    image.parent.mkdir(parents=True, exist_ok=True)
    run(["truncate", "-s", str(size_bytes), str(image)])
    # 4 KiB blocks whatever the size; no blocks reserved for root (nobody else may use them).
    run(["mkfs.ext4", "-q", "-F", "-b", "4096", "-m", "0", str(image)])


def _attach(image: Path) -> str:
    """One loop device for `image`: an existing one if any (extra idle ones are detached)."""
    devices = loop_devices(image)
    if not devices:
        return run(["losetup", "--find", "--show", str(image)]).stdout.strip()
    mounted = {m.source for m in list_mounts()}
    busy = [d for d in devices if d in mounted]
    device = busy[0] if busy else devices[0]
    for extra in devices:
        if extra != device and extra not in mounted:
            run(["losetup", "-d", extra])
    run(["losetup", "-c", device])  # the file may have grown since the device was attached
    return device


def mount_image(
    image: Path, mountpoint: Path, options: Sequence[str] = DEFAULT_MOUNT_OPTIONS
) -> str:
    """Ensure `image` is mounted at `mountpoint` through a loop device; returns the device.

    Creates the mountpoint directory. Already mounted there: no-op. A stale loop device left
    attached to the file is reused. Something else mounted there raises `InfrastructureError`.
    """
    image, mountpoint = Path(image).absolute(), Path(mountpoint).absolute()
    if not image.is_file():
        raise InfrastructureError(f"volume image missing: {image}")
    mountpoint.mkdir(parents=True, exist_ok=True)
    current = mount_source(mountpoint)
    if current is not None:
        if current in loop_devices(image):
            return current
        raise InfrastructureError(
            f"mountpoint {mountpoint} is busy", detail=f"{current} is mounted there"
        )
    device = _attach(image)
    run(["mount", "-t", "ext4", "-o", ",".join(options), device, str(mountpoint)])
    return device


def unmount(mountpoint: Path, *, lazy: bool = True) -> None:
    """Ensure nothing is mounted at `mountpoint`. Not mounted: no-op.

    When the filesystem is busy, `lazy=True` falls back to a lazy unmount (it disappears from
    the tree now, is released when the last user goes); `lazy=False` raises a retryable
    `InfrastructureError` instead (use it before offline work on the image). The loop device
    stays attached (see `detach_loop_devices`).
    """
    mountpoint = Path(mountpoint).absolute()
    for _ in range(_MAX_STACKED_MOUNTS):
        if mount_source(mountpoint) is None:
            return
        proc = run(["umount", str(mountpoint)], check=False)
        if proc.returncode == 0:
            continue
        if not lazy:
            raise InfrastructureError(
                f"volume at {mountpoint} is busy", detail=describe(proc.args, proc), retryable=True
            )
        run(["umount", "-l", str(mountpoint)])
    raise InfrastructureError(f"could not unmount {mountpoint}", retryable=True)


def detach_loop_devices(image: Path) -> None:
    """Detach every loop device backed by `image` (also one whose file was deleted).

    A device still mounted somewhere is only marked to detach when it is released (the
    kernel's autoclear). None attached: no-op.
    """
    path = str(Path(image).absolute())
    for dev in list_loop_devices(path):
        if dev.backing_file == path:
            proc = run(["losetup", "-d", dev.name], check=False)
            if proc.returncode != 0 and "No such device" not in proc.stderr:
                raise InfrastructureError(
                    "could not detach loop device", detail=describe(proc.args, proc)
                )


def remove_image(image: Path) -> None:
    """Detach and delete `image`. Missing: no-op. Still mounted: `InfrastructureError`."""
    image = Path(image).absolute()
    mounted = {m.source for m in list_mounts()}
    devices = [d for d in list_loop_devices(str(image)) if d.backing_file == str(image)]
    in_use = [d.name for d in devices if d.name in mounted]
    if in_use:
        raise InfrastructureError(f"volume {image} is still mounted", detail=", ".join(in_use))
    detach_loop_devices(image)
    image.unlink(missing_ok=True)


# --- size -------------------------------------------------------------------------------------


def can_grow_online() -> bool:
    """Whether this process may resize a mounted ext4 (the kernel demands CAP_SYS_RESOURCE)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapEff:"):
            return bool(int(line.split()[1], 16) >> _CAP_SYS_RESOURCE & 1)
    return False


def grow_image(image: Path, size_bytes: int) -> None:
    """Grow `image` and its filesystem to `size_bytes`, online when it is mounted.

    Shrinking raises `BadRequest`; a mounted image on a host that withholds CAP_SYS_RESOURCE
    raises `NotImplementedYet` (unmount, grow, mount again instead); both change nothing.
    The same size again re-runs the filesystem resize, so a grow interrupted after the file
    was extended completes. An image not mounted is checked (`e2fsck -f -p`) and resized
    offline.
    """
    image = Path(image).absolute()
    current = image.stat().st_size
    if size_bytes < current:
        raise BadRequest(
            f"volume cannot shrink from {current} to {size_bytes} bytes", detail=str(image)
        )
    if size_bytes % 4096:
        raise ValueError(f"size {size_bytes} must be a multiple of 4096")
    mounted = {m.source for m in list_mounts()}
    devices = loop_devices(image)
    online = [d for d in devices if d in mounted]
    if online and not can_grow_online():
        raise NotImplementedYet(
            "this host cannot grow a mounted volume",
            detail="online ext4 resize needs CAP_SYS_RESOURCE; unmount, grow, mount again",
        )
    if size_bytes > current:
        run(["truncate", "-s", str(size_bytes), str(image)])
    for device in devices:
        run(["losetup", "-c", device])
    target = online[0] if online else (devices[0] if devices else str(image))
    if not online:
        _fsck(target)
    run(["resize2fs", target])


def grow_mounted(
    image: Path,
    mountpoint: Path,
    size_bytes: int,
    options: Sequence[str] = DEFAULT_MOUNT_OPTIONS,
) -> None:
    """Grow the volume mounted at `mountpoint` to `size_bytes` and leave it mounted there.

    Online when the host allows it; otherwise it unmounts (never lazily: a busy volume raises
    a retryable `InfrastructureError`, so stop its users first), grows offline and mounts
    again through the same loop device. Shrinking raises `BadRequest`.
    """
    if can_grow_online():
        grow_image(image, size_bytes)
        return
    if size_bytes < Path(image).stat().st_size:
        raise BadRequest(f"volume cannot shrink to {size_bytes} bytes", detail=str(image))
    unmount(mountpoint, lazy=False)
    grow_image(image, size_bytes)
    mount_image(image, mountpoint, options)


def _fsck(target: str) -> None:
    proc = run(["e2fsck", "-f", "-p", target], check=False)
    if proc.returncode not in (0, 1):  # 1: errors corrected
        raise InfrastructureError("filesystem check failed", detail=describe(proc.args, proc))


def usage(mountpoint: Path) -> VolumeUsage:
    """Space and inode usage of the filesystem mounted at `mountpoint`.

    Raises `InfrastructureError` when nothing is mounted there (it never reports the
    filesystem underneath by mistake).
    """
    if not os.path.ismount(mountpoint):
        raise InfrastructureError(f"no volume mounted at {mountpoint}")
    st = os.statvfs(mountpoint)
    return VolumeUsage(
        total_bytes=st.f_blocks * st.f_frsize,
        used_bytes=(st.f_blocks - st.f_bfree) * st.f_frsize,
        free_bytes=st.f_bavail * st.f_frsize,
        total_inodes=st.f_files,
        used_inodes=st.f_files - st.f_ffree,
        free_inodes=st.f_favail,
    )
