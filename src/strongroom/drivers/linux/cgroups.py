"""Resource limits through cgroups: v1 (one mount per controller) or v2 (unified), detected.

A group is a relative path chosen by the caller under a root of its own, e.g.
`strongroom-<run>/<instance>`. Components are restricted to [A-Za-z0-9_-] (no dots), so a
group path can never name a systemd slice or scope, nor climb out with `..`. These functions
only create, change and remove groups at such paths; nothing else in the hierarchy is touched
(on v2, enabling controllers in the parents' `cgroup.subtree_control` is the one exception).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from strongroom.contracts.errors import InfrastructureError

CGROUP_FS = Path("/sys/fs/cgroup")
V1_CONTROLLERS = ("memory", "cpu", "cpuacct", "pids")
V2_CONTROLLERS = ("memory", "cpu", "pids")
DEFAULT_CPU_PERIOD_US = 100_000
_MIN_CPU_QUOTA_US = 1_000
_V1_UNLIMITED_MEMORY = 1 << 62  # v1 reports "no limit" as a huge page-aligned number
_COMPONENT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_POLL_S = 0.02


@dataclass(frozen=True)
class CgroupLayout:
    """Where each controller lives: v1 maps controller -> mount dir, v2 maps all to one dir."""

    version: Literal[1, 2]
    dirs: dict[str, Path]

    def hierarchies(self) -> list[Path]:
        """The distinct mount dirs (co-mounted v1 controllers share one)."""
        return sorted(set(self.dirs.values()))


@dataclass(frozen=True)
class CgroupLimits:
    """Limits of a group; None means unlimited."""

    memory_bytes: int | None = None
    vcpus: float | None = None
    pids_max: int | None = None
    cpu_period_us: int = DEFAULT_CPU_PERIOD_US

    def cpu_quota_us(self) -> int | None:
        """CFS quota per period for `vcpus` (at least 1 ms), or None when unlimited."""
        if self.vcpus is None:
            return None
        return max(_MIN_CPU_QUOTA_US, round(self.vcpus * self.cpu_period_us))


@dataclass(frozen=True)
class CgroupUsage:
    """Counters of a group; `oom_kills` is None where the kernel does not report it."""

    memory_bytes: int
    cpu_usage_ns: int
    oom_kills: int | None
    pids: int


# --- layout and paths -------------------------------------------------------------------------


def detect_layout(base: Path = CGROUP_FS) -> CgroupLayout:
    """Detect the usable cgroup version under `base`: v1 if every needed controller is mounted
    on its own dir, else v2 if the unified root offers memory, cpu and pids."""
    v1 = {c: (base / c).resolve() for c in V1_CONTROLLERS}
    if all((d / "cgroup.procs").is_file() for d in v1.values()):
        return CgroupLayout(version=1, dirs=v1)
    controllers_file = base / "cgroup.controllers"
    if controllers_file.is_file():
        available = set(controllers_file.read_text().split())
        if set(V2_CONTROLLERS) <= available:
            return CgroupLayout(version=2, dirs=dict.fromkeys(V2_CONTROLLERS, base))
    raise InfrastructureError(
        "no usable cgroup hierarchy", detail=f"need v1 {V1_CONTROLLERS} or v2 {V2_CONTROLLERS}"
    )


@functools.cache
def layout() -> CgroupLayout:
    """The host's cgroup layout, detected once per process."""
    return detect_layout()


def validate_group(group: str) -> str:
    """Return `group` if it is a relative path of safe components (no dots, no '..')."""
    parts = group.split("/")
    if not group or len(parts) > 4 or not all(_COMPONENT_RE.fullmatch(p) for p in parts):
        raise ValueError(f"invalid cgroup path {group!r} (1-4 components of [A-Za-z0-9_-])")
    return group


def _dir(controller: str, group: str) -> Path:
    return layout().dirs[controller] / validate_group(group)


def _group_dirs(group: str) -> list[Path]:
    return [h / validate_group(group) for h in layout().hierarchies()]


def procs_files(group: str) -> list[Path]:
    """The `cgroup.procs` file of `group` in every hierarchy: a process that writes its pid to
    each is fully inside the group."""
    return [d / "cgroup.procs" for d in _group_dirs(group)]


def _write(path: Path, value: str) -> None:
    try:
        path.write_text(value)
    except OSError as exc:
        raise InfrastructureError(
            f"could not write cgroup file {path.name}",
            detail=f"{path} <- {value!r}: {exc}",
            retryable=exc.errno == errno.EBUSY,
        ) from exc


def _read(path: Path) -> str:
    return path.read_text().strip()


# --- lifecycle --------------------------------------------------------------------------------


def _enable_v2_controllers(group: str) -> None:
    base = layout().dirs["memory"]
    parent = base
    for part in group.split("/"):
        enabled = set(_read(parent / "cgroup.subtree_control").split())
        missing = [c for c in V2_CONTROLLERS if c not in enabled]
        if missing:
            _write(parent / "cgroup.subtree_control", " ".join(f"+{c}" for c in missing))
        parent = parent / part
        parent.mkdir(exist_ok=True)


def create_group(group: str, limits: CgroupLimits) -> None:
    """Ensure `group` exists in every hierarchy (parents included) with `limits` applied.

    Existing: its limits are set to `limits`, nothing else changes.
    """
    if layout().version == 2:
        _enable_v2_controllers(validate_group(group))
    for d in _group_dirs(group):
        d.mkdir(parents=True, exist_ok=True)
    set_limits(group, limits)


def set_limits(group: str, limits: CgroupLimits) -> None:
    """Apply `limits` to an existing `group` (None fields become unlimited).

    Lowering memory below what the group uses fails with a retryable `InfrastructureError`
    once the kernel cannot reclaim enough.
    """
    quota = limits.cpu_quota_us()
    period = str(limits.cpu_period_us)
    if layout().version == 1:
        mem = str(limits.memory_bytes) if limits.memory_bytes is not None else "-1"
        _write(_dir("memory", group) / "memory.limit_in_bytes", mem)
        _write(_dir("cpu", group) / "cpu.cfs_period_us", period)
        _write(_dir("cpu", group) / "cpu.cfs_quota_us", "-1" if quota is None else str(quota))
    else:
        mem = str(limits.memory_bytes) if limits.memory_bytes is not None else "max"
        _write(_dir("memory", group) / "memory.max", mem)
        _write(_dir("cpu", group) / "cpu.max", f"{quota or 'max'} {period}")
    pids = str(limits.pids_max) if limits.pids_max is not None else "max"
    _write(_dir("pids", group) / "pids.max", pids)


def read_limits(group: str) -> CgroupLimits:
    """The limits currently in force for `group`, as the kernel reports them."""
    if layout().version == 1:
        mem_raw = int(_read(_dir("memory", group) / "memory.limit_in_bytes"))
        memory = None if mem_raw >= _V1_UNLIMITED_MEMORY else mem_raw
        period = int(_read(_dir("cpu", group) / "cpu.cfs_period_us"))
        quota_raw = int(_read(_dir("cpu", group) / "cpu.cfs_quota_us"))
        quota = None if quota_raw < 0 else quota_raw
    else:
        mem_text = _read(_dir("memory", group) / "memory.max")
        memory = None if mem_text == "max" else int(mem_text)
        quota_text, period_text = _read(_dir("cpu", group) / "cpu.max").split()
        period = int(period_text)
        quota = None if quota_text == "max" else int(quota_text)
    pids_text = _read(_dir("pids", group) / "pids.max")
    return CgroupLimits(
        memory_bytes=memory,
        vcpus=None if quota is None else quota / period,
        pids_max=None if pids_text == "max" else int(pids_text),
        cpu_period_us=period,
    )


def read_usage(group: str) -> CgroupUsage:
    """Memory in use, CPU time consumed, OOM kills and process count of `group`."""
    mem_dir, cpu_dir = _dir("memory", group), _dir("cpu", group)
    if layout().version == 1:
        memory = int(_read(mem_dir / "memory.usage_in_bytes"))
        cpu_ns = int(_read(_dir("cpuacct", group) / "cpuacct.usage"))
        oom = _keyed(mem_dir / "memory.oom_control", "oom_kill")
    else:
        memory = int(_read(mem_dir / "memory.current"))
        cpu_ns = (_keyed(cpu_dir / "cpu.stat", "usage_usec") or 0) * 1000
        oom = _keyed(mem_dir / "memory.events", "oom_kill")
    pids = int(_read(_dir("pids", group) / "pids.current"))
    return CgroupUsage(memory_bytes=memory, cpu_usage_ns=cpu_ns, oom_kills=oom, pids=pids)


def _keyed(path: Path, key: str) -> int | None:
    if not path.is_file():
        return None
    for line in path.read_text().splitlines():
        name, _, value = line.partition(" ")
        if name == key:
            return int(value)
    return None


def list_groups(root: str) -> list[str]:
    """Sorted names of the direct child groups of `root` in any hierarchy; [] if none."""
    names: set[str] = set()
    for d in _group_dirs(root):
        if d.is_dir():
            names.update(p.name for p in d.iterdir() if p.is_dir())
    return sorted(names)


def list_roots(prefix: str) -> list[str]:
    """Sorted top-level groups whose name starts with `prefix` and is a valid group name."""
    names: set[str] = set()
    for h in layout().hierarchies():
        names.update(p.name for p in h.iterdir() if p.is_dir() and p.name.startswith(prefix))
    return sorted(n for n in names if _COMPONENT_RE.fullmatch(n))


def group_pids(group: str) -> list[int]:
    """Sorted pids in `group` and its descendants, in any hierarchy; [] if it is missing."""
    pids: set[int] = set()
    for d in _group_dirs(group):
        for procs in d.glob("**/cgroup.procs") if d.is_dir() else []:
            try:
                pids.update(int(p) for p in procs.read_text().split())
            except FileNotFoundError:  # a subgroup removed meanwhile
                continue
    return sorted(pids)


def kill_group(group: str, timeout: float = 5.0) -> None:
    """SIGKILL every process in `group` and its descendants until none is left.

    Missing group: no-op. Processes still present after `timeout` raise a retryable error.
    """
    deadline = time.monotonic() + timeout
    while pids := group_pids(group):
        if time.monotonic() > deadline:
            raise InfrastructureError(
                f"processes survive in cgroup {group}", detail=str(pids), retryable=True
            )
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(_POLL_S)


def remove_group(group: str, timeout: float = 5.0) -> None:
    """Remove `group` and its descendants bottom-up in every hierarchy. Missing: no-op.

    Waits up to `timeout` for exiting processes to leave; a group still busy after that
    raises a retryable `InfrastructureError` (kill its processes first: `kill_group`).
    """
    deadline = time.monotonic() + timeout
    for d in _group_dirs(group):
        if not d.is_dir():
            continue
        subdirs = sorted((p for p in d.glob("**") if p.is_dir()), key=lambda p: -len(p.parts))
        for sub in subdirs:
            _rmdir(sub, deadline)


def _rmdir(path: Path, deadline: float) -> None:
    while True:
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                raise InfrastructureError(
                    f"could not remove cgroup {path.name}",
                    detail=f"{path}: {exc}",
                    retryable=exc.errno == errno.EBUSY,
                ) from exc
            time.sleep(_POLL_S)
