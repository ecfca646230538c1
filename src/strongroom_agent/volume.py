"""Space on the data volume."""

from __future__ import annotations

import os
from pathlib import Path

from strongroom.contracts.agent import VolumeUsage


def usage(path: Path) -> VolumeUsage:
    """Used and total bytes of the file system holding `path`."""
    stats = os.statvfs(path)
    total = stats.f_blocks * stats.f_frsize
    free = stats.f_bfree * stats.f_frsize
    return VolumeUsage(used_bytes=total - free, total_bytes=total)
