"""Inventory and sweep of the host objects a test run made, found by the run's name prefix.

A run is `srt` + 6 hex digits; every namespace, link and cgroup root it makes starts with it,
and every file (images, mountpoints, pidfiles) lives under /tmp/<prefix>/, which also holds
`owner.pid` (the pytest process). Only runs whose owner is dead are swept as leftovers.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
from dataclasses import dataclass, field
from pathlib import Path

from strongroom.drivers.linux import cgroups, links, processes, volumes

RUN_RE = re.compile(r"^(srt[0-9a-f]{6})")
TMP = Path("/tmp")


def run_dir(prefix: str) -> Path:
    return TMP / prefix


@dataclass
class Inventory:
    netns: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    mounts: list[str] = field(default_factory=list)
    loops: list[str] = field(default_factory=list)
    cgroups: list[str] = field(default_factory=list)
    pids: list[int] = field(default_factory=list)

    def empty(self) -> bool:
        return not any(vars(self).values())


def _pids_with(text: str) -> list[int]:
    """Live processes whose command line contains `text` (never this process)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            args = processes.cmdline(int(entry.name))
            if args and text in " ".join(args):
                found.append(int(entry.name))
    return found


def inventory(prefix: str) -> Inventory:
    """Everything on the host that belongs to run `prefix`."""
    where = str(run_dir(prefix)) + "/"
    namespaces = links.list_netns(prefix)
    roots = cgroups.list_roots(prefix)
    pids = set(_pids_with(prefix))
    for ns in namespaces:
        pids.update(processes.netns_pids(ns))
    for root in roots:
        pids.update(cgroups.group_pids(root))
    return Inventory(
        netns=namespaces,
        links=links.list_links(prefix),
        mounts=[m.target for m in volumes.list_mounts(where)],
        loops=[d.name for d in volumes.list_loop_devices(where)],
        cgroups=roots,
        pids=sorted(pids),
    )


def sweep(prefix: str) -> None:
    """Remove everything of run `prefix`: processes, mounts, loops, cgroups, namespaces, links."""
    found = inventory(prefix)
    for pid in found.pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for root in found.cgroups:
        cgroups.kill_group(root)
    for target in sorted(found.mounts, key=len, reverse=True):
        volumes.unmount(Path(target))
    for dev in volumes.list_loop_devices(str(run_dir(prefix)) + "/"):
        volumes.detach_loop_devices(Path(dev.backing_file))
    for root in found.cgroups:
        cgroups.remove_group(root)
    for ns in found.netns:
        links.delete_netns(ns)
    for name in links.list_links(prefix):
        links.delete_link(name)


def _owner_alive(prefix: str) -> bool:
    owner = processes.read_pidfile(run_dir(prefix) / "owner.pid")
    args = processes.cmdline(owner) if owner else None
    return args is not None and "pytest" in " ".join(args)


def stale_runs() -> set[str]:
    """Prefixes of earlier runs whose pytest process is gone but whose objects remain."""
    names = [*links.list_netns("srt"), *links.list_links("srt"), *cgroups.list_roots("srt")]
    names += [p.name for p in TMP.glob("srt*")]
    names += [Path(d.backing_file).relative_to(TMP).parts[0] for d in _tmp_loops()]
    names += [Path(m.target).relative_to(TMP).parts[0] for m in volumes.list_mounts("/tmp/srt")]
    prefixes = {m.group(1) for n in names if (m := RUN_RE.match(n))}
    return {p for p in prefixes if not _owner_alive(p)}


def _tmp_loops() -> list[volumes.LoopDevice]:
    return volumes.list_loop_devices("/tmp/srt")


def sweep_stale_runs() -> set[str]:
    """Sweep every stale run and delete its directory; returns the prefixes swept."""
    stale = stale_runs()
    for prefix in stale:
        sweep(prefix)
        shutil.rmtree(run_dir(prefix), ignore_errors=True)
    return stale
