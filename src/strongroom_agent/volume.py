"""Space on the data volume."""

from __future__ import annotations

import os
from pathlib import Path

from strongroom.contracts.agent import VolumeUsage
from strongroom.contracts.metrics import VolumeMetrics


def usage(path: Path) -> VolumeUsage:
    """Used and total bytes of the file system holding `path`."""
    stats = os.statvfs(path)
    total = stats.f_blocks * stats.f_frsize
    free = stats.f_bfree * stats.f_frsize
    return VolumeUsage(used_bytes=total - free, total_bytes=total)


def metrics(path: Path) -> VolumeMetrics:
    """Bytes and inodes, used and free (free as an unprivileged user sees it), of the file
    system holding `path`."""
    stats = os.statvfs(path)
    total = stats.f_blocks * stats.f_frsize
    return VolumeMetrics(
        used_bytes=total - stats.f_bfree * stats.f_frsize,
        free_bytes=stats.f_bavail * stats.f_frsize,
        total_bytes=total,
        inodes_used=stats.f_files - stats.f_ffree,
        inodes_free=stats.f_favail,
    )
