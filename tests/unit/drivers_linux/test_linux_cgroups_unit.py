"""cgroup layout detection, group path safety and CPU quota arithmetic."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom.contracts.errors import InfrastructureError
from strongroom.drivers.linux import cgroups
from strongroom.drivers.linux.cgroups import CgroupLimits, detect_layout, validate_group

pytestmark = pytest.mark.unit


def _v1(base: Path, controllers: tuple[str, ...]) -> None:
    for name in controllers:
        (base / name).mkdir()
        (base / name / "cgroup.procs").write_text("")


def test_v1_is_detected_with_one_dir_per_controller(tmp_path: Path) -> None:
    _v1(tmp_path, ("memory", "cpu", "cpuacct", "pids"))
    layout = detect_layout(tmp_path)
    assert layout.version == 1
    assert layout.dirs["memory"] == (tmp_path / "memory").resolve()
    assert len(layout.hierarchies()) == 4


def test_co_mounted_v1_controllers_share_a_hierarchy(tmp_path: Path) -> None:
    _v1(tmp_path, ("memory", "cpu,cpuacct", "pids"))
    (tmp_path / "cpu").symlink_to("cpu,cpuacct")
    (tmp_path / "cpuacct").symlink_to("cpu,cpuacct")
    layout = detect_layout(tmp_path)
    assert layout.dirs["cpu"] == layout.dirs["cpuacct"]
    assert len(layout.hierarchies()) == 3


def test_v2_is_used_when_the_unified_root_offers_the_controllers(tmp_path: Path) -> None:
    (tmp_path / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    layout = detect_layout(tmp_path)
    assert layout.version == 2 and layout.hierarchies() == [tmp_path]


def test_no_usable_hierarchy_is_an_infrastructure_error(tmp_path: Path) -> None:
    (tmp_path / "cgroup.controllers").write_text("hugetlb\n")
    with pytest.raises(InfrastructureError):
        detect_layout(tmp_path)


@pytest.mark.parametrize(
    "group", ["", "/abs", "a/../b", "system.slice", "user.slice/x", "a//b", "a/b/c/d/e", "a b"]
)
def test_unsafe_group_paths_are_refused(group: str) -> None:
    with pytest.raises(ValueError):
        validate_group(group)


def test_group_paths_under_a_root_pass() -> None:
    assert validate_group("strongroom-run1/inst_2") == "strongroom-run1/inst_2"


def test_cpu_quota_follows_vcpus() -> None:
    assert CgroupLimits(vcpus=2).cpu_quota_us() == 200_000
    assert CgroupLimits(vcpus=0.5, cpu_period_us=50_000).cpu_quota_us() == 25_000
    assert CgroupLimits(vcpus=0.001).cpu_quota_us() == 1_000
    assert CgroupLimits().cpu_quota_us() is None


@pytest.fixture
def fake_v2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A unified hierarchy in a temp dir: plain files stand in for the kernel's."""
    (tmp_path / "cgroup.controllers").write_text("cpu memory pids\n")
    (tmp_path / "cgroup.subtree_control").write_text("")
    monkeypatch.setattr(cgroups, "layout", lambda: detect_layout(tmp_path))
    return tmp_path


def test_v2_limits_are_written_in_its_formats(fake_v2: Path) -> None:
    (fake_v2 / "root").mkdir()
    (fake_v2 / "root" / "cgroup.subtree_control").write_text("")
    limits = CgroupLimits(memory_bytes=64 * 1024 * 1024, vcpus=1.5, pids_max=100)
    cgroups.create_group("root/inst", limits)
    inst = fake_v2 / "root" / "inst"
    assert (inst / "memory.max").read_text() == str(64 * 1024 * 1024)
    assert (inst / "cpu.max").read_text() == "150000 100000"
    assert (inst / "pids.max").read_text() == "100"
    assert "+memory" in (fake_v2 / "cgroup.subtree_control").read_text()
    assert cgroups.read_limits("root/inst") == limits
    cgroups.set_limits("root/inst", CgroupLimits())
    assert (inst / "cpu.max").read_text() == "max 100000"
    assert cgroups.read_limits("root/inst") == CgroupLimits()
    assert cgroups.procs_files("root/inst") == [inst / "cgroup.procs"]


def test_v2_usage_is_read_from_its_counters(fake_v2: Path) -> None:
    inst = fake_v2 / "r" / "i"
    inst.mkdir(parents=True)
    (inst / "memory.current").write_text("4096\n")
    (inst / "cpu.stat").write_text("usage_usec 1500\nuser_usec 1000\n")
    (inst / "memory.events").write_text("low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\n")
    (inst / "pids.current").write_text("3\n")
    usage = cgroups.read_usage("r/i")
    assert usage == cgroups.CgroupUsage(
        memory_bytes=4096, cpu_usage_ns=1_500_000, oom_kills=1, pids=3
    )
