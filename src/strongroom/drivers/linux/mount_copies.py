"""Copies of a mount held by other mount namespaces.

`ip netns exec` gives every process it starts a mount namespace of its own, copied from the
host's. With the host's `/` private (no propagation), each copy keeps every volume that was
mounted when it was made, and an unmount on the host does not reach it: the file system stays
in use and cannot be checked or resized offline. Releasing the copies (a lazy unmount inside
each namespace) lets the host's unmount free it.
"""

from __future__ import annotations

import os
from pathlib import Path

from strongroom.drivers.linux.commands import run
from strongroom.drivers.linux.volumes import parse_mountinfo

_PROC = Path("/proc")


def holders(mountpoint: Path) -> list[int]:
    """One pid per mount namespace, other than this process's, where `mountpoint` is mounted."""
    target = str(Path(mountpoint).absolute())
    checked = {os.readlink("/proc/self/ns/mnt")}
    found = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            namespace = os.readlink(entry / "ns" / "mnt")
            if namespace in checked:
                continue
            text = (entry / "mountinfo").read_text()
        except OSError:  # the process ended meanwhile
            continue
        checked.add(namespace)
        if any(m.target == target for m in parse_mountinfo(text)):
            found.append(int(entry.name))
    return found


def release(mountpoint: Path) -> int:
    """Lazily unmount `mountpoint` in every other namespace holding it; how many there were."""
    pids = holders(mountpoint)
    for pid in pids:
        run(
            ["nsenter", f"--mount=/proc/{pid}/ns/mnt", "umount", "-l", str(mountpoint)], check=False
        )
    return len(pids)
