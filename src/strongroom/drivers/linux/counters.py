"""Read-only kernel counters: bytes through a host interface, I/O on a mounted block device."""

from __future__ import annotations

from pathlib import Path

SYS_CLASS_NET = Path("/sys/class/net")
SYS_BLOCK = Path("/sys/block")
MOUNTINFO = Path("/proc/self/mountinfo")
SECTOR_BYTES = 512


def interface_bytes(name: str) -> tuple[int, int] | None:
    """(rx_bytes, tx_bytes) of a host interface, or None if it does not exist."""
    stats = SYS_CLASS_NET / name / "statistics"
    try:
        rx = int((stats / "rx_bytes").read_text())
        tx = int((stats / "tx_bytes").read_text())
    except (OSError, ValueError):
        return None
    return rx, tx


def mounted_device(mountpoint: Path, mountinfo: Path = MOUNTINFO) -> str | None:
    """The device name (e.g. `loop3`) mounted at `mountpoint`, or None."""
    try:
        lines = mountinfo.read_text().splitlines()
    except OSError:
        return None
    wanted = str(mountpoint)
    for line in lines:
        fields = line.split()
        if len(fields) < 10 or fields[4] != wanted:
            continue
        source = fields[fields.index("-") + 2] if "-" in fields else ""
        if source.startswith("/dev/"):
            return source.removeprefix("/dev/")
    return None


def block_io(device: str) -> tuple[int, int, int, int] | None:
    """(read_bytes, write_bytes, reads, writes) completed on a block device since it was
    set up, from `/sys/block/<dev>/stat`; None if unknown."""
    if "/" in device or device.startswith("."):
        return None
    try:
        fields = (SYS_BLOCK / device / "stat").read_text().split()
        reads, read_sectors = int(fields[0]), int(fields[2])
        writes, write_sectors = int(fields[4]), int(fields[6])
    except (OSError, ValueError, IndexError):
        return None
    return read_sectors * SECTOR_BYTES, write_sectors * SECTOR_BYTES, reads, writes
