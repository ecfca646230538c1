"""Process specs and the command runner's error reporting."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom.contracts.errors import InfrastructureError
from strongroom.drivers.linux.commands import in_netns, run
from strongroom.drivers.linux.processes import ProcessSpec

pytestmark = pytest.mark.unit


def test_a_spec_needs_its_marker_in_the_command_line(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        ProcessSpec(argv=("sleep", "1"), pidfile=tmp_path / "p", logfile=tmp_path / "l", marker="x")
    with pytest.raises(ValueError):
        ProcessSpec(argv=(), pidfile=tmp_path / "p", logfile=tmp_path / "l", marker="x")
    spec = ProcessSpec(
        argv=("sleep", "1"), pidfile=tmp_path / "p", logfile=tmp_path / "l", marker="sleep 1"
    )
    assert spec.netns is None and spec.cgroup is None


def test_a_failed_command_raises_with_command_and_stderr() -> None:
    with pytest.raises(InfrastructureError) as failure:
        run(["sh", "-c", "echo broken pipe dream >&2; exit 3"])
    assert failure.value.detail is not None
    assert "exit: 3" in failure.value.detail
    assert "broken pipe dream" in failure.value.detail
    assert "sh -c" in failure.value.detail
    assert not failure.value.retryable


def test_check_false_returns_the_finished_process() -> None:
    proc = run(["sh", "-c", "cat; exit 4"], check=False, input_text="hi")
    assert (proc.returncode, proc.stdout) == (4, "hi")


def test_missing_programs_and_timeouts_raise() -> None:
    with pytest.raises(InfrastructureError, match="not found"):
        run(["/nonexistent/strongroom-test-program"], check=False)
    with pytest.raises(InfrastructureError) as slow:
        run(["sleep", "5"], timeout=0.05)
    assert slow.value.retryable


def test_in_netns_prefixes_ip_netns_exec() -> None:
    assert in_netns("ns1", ["nft", "-f", "-"]) == ["ip", "netns", "exec", "ns1", "nft", "-f", "-"]
