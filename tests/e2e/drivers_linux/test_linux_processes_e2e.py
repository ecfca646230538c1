"""Detached processes: survive their starter's SIGKILL, are found by pidfile, and stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from ipaddress import IPv4Interface
from pathlib import Path

import pytest
from linux_sandbox import SERVER, Run, SandboxFactory, wait_served

from strongroom.contracts.errors import InfrastructureError
from strongroom.drivers.linux import cgroups, processes

pytestmark = pytest.mark.e2e

PORT = 7432

# argv: netns address port prefix run_dir cgroup. Starts the server, reports, then idles.
STARTER = """
import sys, time
from ipaddress import IPv4Address
from pathlib import Path
from strongroom.drivers.linux import processes
netns, address, port, prefix, run_dir, group = sys.argv[1:]
marker = prefix + "-survivor"
spec = processes.ProcessSpec(
    argv=(sys.executable, "-I", "-S", "-c", sys.stdin.read(), address, port, marker),
    pidfile=Path(run_dir) / "survivor.pid", logfile=Path(run_dir) / "survivor.log",
    marker=marker, netns=netns, cgroup=group,
)
print(processes.start(spec), flush=True)
time.sleep(300)
"""

# argv: marker. Writes a line to stdout and one to stderr, then idles.
CHATTY = """
import sys, time
print("out", sys.argv[1], flush=True)
print("err", sys.argv[1], file=sys.stderr, flush=True)
time.sleep(300)
"""


def _ppid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])


def test_detached_server_survives_its_starter_being_killed(
    run: Run, sandbox: SandboxFactory, bridge: tuple[str, IPv4Interface]
) -> None:
    box = sandbox("srv", 40)
    group = f"{run.prefix}/survivor"
    cgroups.create_group(group, cgroups.CgroupLimits(memory_bytes=128 * 1024 * 1024))
    args = [box.netns, str(box.address), str(PORT), run.prefix, str(run.dir), group]
    starter = subprocess.Popen(
        [sys.executable, "-c", STARTER, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert starter.stdin is not None and starter.stdout is not None
    starter.stdin.write(SERVER)
    starter.stdin.close()
    pid = int(starter.stdout.readline())
    starter.send_signal(signal.SIGKILL)
    starter.wait()
    starter.stdout.close()

    marker = f"{run.prefix}-survivor"
    assert processes.find_process(run.dir / "survivor.pid", marker) == pid
    assert _ppid(pid) != starter.pid
    assert processes.netns_pids(box.netns) == [pid]
    assert cgroups.group_pids(group) == [pid]
    assert wait_served(box.address, PORT, source=bridge[1].ip) == b"hello"

    assert processes.stop(run.dir / "survivor.pid", marker, timeout=2.0) is True
    assert processes.find_process(run.dir / "survivor.pid", marker) is None
    assert processes.netns_pids(box.netns) == []
    assert processes.stop(run.dir / "survivor.pid", marker) is False
    cgroups.remove_group(run.prefix)


def test_start_is_idempotent_and_output_goes_to_the_log(run: Run) -> None:
    marker = f"{run.prefix}-echo"
    spec = processes.ProcessSpec(
        argv=(sys.executable, "-I", "-S", "-c", CHATTY, marker),
        pidfile=run.dir / "echo.pid",
        logfile=run.dir / "echo.log",
        marker=marker,
    )
    pid = processes.start(spec)
    assert processes.start(spec) == pid
    assert _ppid(pid) != os.getpid()
    fd_0 = os.readlink(f"/proc/{pid}/fd/0")
    assert fd_0 == "/dev/null"
    assert os.getsid(pid) != os.getsid(0)
    deadline = time.monotonic() + 5
    while len(spec.logfile.read_text().splitlines()) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    processes.stop(spec.pidfile, marker, timeout=2.0)
    assert spec.logfile.read_text().splitlines()[:2] == [f"out {marker}", f"err {marker}"]


def test_a_reused_or_missing_pid_is_not_ours(run: Run) -> None:
    pidfile = run.dir / "reused.pid"
    pidfile.write_text(f"{os.getpid()}\n")  # a live process that is not the one we started
    assert processes.find_process(pidfile, f"{run.prefix}-not-me") is None
    assert processes.stop(pidfile, f"{run.prefix}-not-me") is False
    assert not pidfile.exists()
    pidfile.write_text("garbage")
    assert processes.find_process(pidfile, "x") is None
    assert processes.find_process(run.dir / "absent.pid", "x") is None


def test_failed_starts_raise_with_the_log(run: Run, sandbox: SandboxFactory) -> None:
    missing = str(run.dir / "no-such-program")
    spec = processes.ProcessSpec(
        argv=(missing,), pidfile=run.dir / "m.pid", logfile=run.dir / "m.log", marker=missing
    )
    with pytest.raises(InfrastructureError) as direct:
        processes.start(spec)
    assert "No such file" in (direct.value.detail or "")
    box = sandbox("fail", 50)
    with pytest.raises(InfrastructureError) as in_netns:
        processes.start(
            processes.ProcessSpec(
                argv=(missing,),
                pidfile=run.dir / "n.pid",
                logfile=run.dir / "n.log",
                marker=missing,
                netns=box.netns,
            )
        )
    assert "exited at start" in in_netns.value.message


def test_a_start_that_never_shows_its_marker_is_killed(run: Run) -> None:
    group = f"{run.prefix}/vanish"
    cgroups.create_group(group, cgroups.CgroupLimits())
    marker = f"{run.prefix}-vanish"
    spec = processes.ProcessSpec(
        argv=("sh", "-c", "exec sleep 300", marker),  # exec drops the marker
        pidfile=run.dir / "vanish.pid",
        logfile=run.dir / "vanish.log",
        marker=marker,
        cgroup=group,
    )
    with pytest.raises(InfrastructureError, match="did not start"):
        processes.start(spec, timeout=0.3)
    assert not spec.pidfile.exists()
    assert cgroups.group_pids(group) == []
    cgroups.remove_group(run.prefix)
