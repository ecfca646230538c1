"""cgroup limits on detached processes: the group holds them, limits show, removal is complete."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator

import pytest
from linux_sandbox import Run

from strongroom.contracts.errors import InfrastructureError
from strongroom.drivers.linux import cgroups, processes

pytestmark = pytest.mark.e2e

MIB = 1024 * 1024

# Allocates far beyond any limit the tests set, touching every page.
HOG = "b = bytearray(512 * 1024 * 1024)"


@pytest.fixture
def group(run: Run) -> Iterator[str]:
    """`<prefix>/inst1`, killed and removed (root included) with the library's own calls."""
    yield f"{run.prefix}/inst1"
    cgroups.kill_group(run.prefix)
    cgroups.remove_group(run.prefix)


def _sleep_spec(run: Run, group: str) -> processes.ProcessSpec:
    return processes.ProcessSpec(
        argv=("sleep", "300"),
        pidfile=run.dir / "sleep.pid",
        logfile=run.dir / "sleep.log",
        marker="sleep 300",
        cgroup=group,
    )


def test_detached_sleep_runs_inside_its_limited_group(run: Run, group: str) -> None:
    limits = cgroups.CgroupLimits(memory_bytes=64 * MIB, vcpus=0.5, pids_max=32)
    cgroups.create_group(group, limits)
    cgroups.create_group(group, limits)  # idempotent
    pid = processes.start(_sleep_spec(run, group))
    assert cgroups.group_pids(group) == [pid]
    for procs in cgroups.procs_files(group):
        assert str(pid) in procs.read_text().split()
    assert cgroups.list_groups(run.prefix) == ["inst1"]
    assert cgroups.read_limits(group) == limits
    lay = cgroups.layout()
    if lay.version == 1:
        limit_file = lay.dirs["memory"] / group / "memory.limit_in_bytes"
        assert limit_file.read_text().strip() == str(64 * MIB)
        quota = lay.dirs["cpu"] / group / "cpu.cfs_quota_us"
        assert quota.read_text().strip() == "50000"
    used = cgroups.read_usage(group)
    assert used.pids == 1 and used.memory_bytes > 0 and used.oom_kills == 0

    cgroups.kill_group(group)
    assert cgroups.group_pids(group) == []
    assert processes.find_process(run.dir / "sleep.pid", "sleep 300") is None
    cgroups.remove_group(run.prefix)
    cgroups.remove_group(run.prefix)  # missing: no-op
    assert cgroups.list_roots(run.prefix) == []
    assert not any((h / run.prefix).exists() for h in lay.hierarchies())


def test_limits_update_and_oom_kills_are_counted(run: Run, group: str) -> None:
    cgroups.create_group(group, cgroups.CgroupLimits(memory_bytes=256 * MIB))
    cgroups.set_limits(group, cgroups.CgroupLimits(memory_bytes=48 * MIB, pids_max=8))
    assert cgroups.read_limits(group) == cgroups.CgroupLimits(memory_bytes=48 * MIB, pids_max=8)
    spec = processes.ProcessSpec(
        argv=(sys.executable, "-I", "-S", "-c", HOG, run.prefix),
        pidfile=run.dir / "hog.pid",
        logfile=run.dir / "hog.log",
        marker=run.prefix,
        cgroup=group,
    )
    with contextlib.suppress(InfrastructureError):
        processes.start(spec)  # may be killed before start() sees it run; the counters tell
    usage = _wait_for_oom(group)
    assert usage.oom_kills is not None and usage.oom_kills >= 1
    assert usage.cpu_usage_ns > 0
    cgroups.set_limits(group, cgroups.CgroupLimits())
    assert cgroups.read_limits(group) == cgroups.CgroupLimits()


def _wait_for_oom(group: str) -> cgroups.CgroupUsage:
    deadline = time.monotonic() + 10
    while (usage := cgroups.read_usage(group)).oom_kills == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    return usage


def test_remove_waits_then_refuses_a_busy_group(run: Run, group: str) -> None:
    cgroups.create_group(group, cgroups.CgroupLimits())
    processes.start(_sleep_spec(run, group))
    with pytest.raises(InfrastructureError) as busy:
        cgroups.remove_group(group, timeout=0.2)
    assert busy.value.retryable
    cgroups.kill_group(group)
    cgroups.remove_group(group)
    assert cgroups.list_groups(run.prefix) == []
