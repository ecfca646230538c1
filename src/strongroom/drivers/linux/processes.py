"""Detached processes: started inside a namespace and cgroup, found again by pidfile, stopped.

A started process is never a child of the caller: a tiny launcher forks, the grandchild
writes its own pid into every `cgroup.procs` of the group and into the pidfile, then execs
the command (through `ip netns exec` when a namespace is given, which keeps the pid). So the
process is in its cgroup before the server's first instruction, in a new session with stdin
on /dev/null and output appended to a log file, and it survives the caller's exit or SIGKILL.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from strongroom.contracts.errors import InfrastructureError
from strongroom.drivers.linux import cgroups
from strongroom.drivers.linux.commands import in_netns, run

_POLL_S = 0.01
_LOG_TAIL_BYTES = 2000

# Runs as `python -I -S -c _LAUNCHER` with a JSON spec on stdin (so the launcher's own command
# line never contains the marker). The intermediate process exits 0 once the grandchild has
# exec'd (the CLOEXEC pipe reaches EOF empty), or 1 with the grandchild's error on stderr.
_LAUNCHER = """
import json, os, sys
spec = json.loads(sys.stdin.read())
null = os.open(os.devnull, os.O_RDONLY)
os.dup2(null, 0)
os.close(null)
r, w = os.pipe()
if os.fork():
    os.close(w)
    err = os.read(r, 4096)
    if err:
        os.write(2, err)
    os._exit(1 if err else 0)
os.close(r)
try:
    me = str(os.getpid())
    for path in spec["procs"]:
        with open(path, "w") as f:
            f.write(me)
    pidfile = spec["pidfile"]
    with open(pidfile + ".tmp", "w") as f:
        f.write(me + "\\n")
    os.replace(pidfile + ".tmp", pidfile)
    os.execvp(spec["argv"][0], spec["argv"])
except BaseException as exc:
    os.write(w, ("launcher: %r\\n" % (exc,)).encode())
    os._exit(127)
"""


@dataclass(frozen=True)
class ProcessSpec:
    """What to start. `marker` must occur in the command line; it tells our process apart from
    an unrelated one that reused the pid (use something unique, such as the data dir)."""

    argv: tuple[str, ...]
    pidfile: Path
    logfile: Path
    marker: str
    netns: str | None = None
    cgroup: str | None = None
    cwd: Path | None = None
    env: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        if not self.argv:
            raise ValueError("empty argv")
        if not self.marker or self.marker not in " ".join(self.argv):
            raise ValueError(f"marker {self.marker!r} does not occur in argv")


# --- inspection -------------------------------------------------------------------------------


def cmdline(pid: int) -> list[str] | None:
    """The argv of live process `pid`, or None when it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return None
    if stat.rpartition(")")[2].split()[0] in ("Z", "X"):
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0")[:-1]]


def _matches(pid: int, marker: str) -> bool:
    args = cmdline(pid)
    return args is not None and marker in " ".join(args)


def read_pidfile(pidfile: Path) -> int | None:
    """The pid recorded in `pidfile`, or None when it is missing or unreadable."""
    try:
        return int(Path(pidfile).read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def find_process(pidfile: Path, marker: str) -> int | None:
    """The pid from `pidfile` if that process is alive (not a zombie) and its command line
    contains `marker`; None otherwise (no pidfile, dead, or the pid was reused)."""
    pid = read_pidfile(pidfile)
    return pid if pid is not None and _matches(pid, marker) else None


def netns_pids(netns: str) -> list[int]:
    """Sorted pids of the live processes in network namespace `netns`; [] if it is missing."""
    proc = run(["ip", "netns", "pids", netns], check=False)
    if proc.returncode != 0:
        return []
    return sorted(int(p) for p in proc.stdout.split())


# --- start ------------------------------------------------------------------------------------


def start(spec: ProcessSpec, timeout: float = 5.0) -> int:
    """Start `spec` detached and return its pid once the command itself is running.

    Idempotent: if the pidfile names a live process matching the marker, that pid is returned
    and nothing is started. Raises `InfrastructureError` (with the log's tail) if the launch
    fails, or if the process exits or does not show the marker within `timeout` (it is then
    killed and its pidfile removed, so a failed start leaves nothing running).
    """
    running = find_process(spec.pidfile, spec.marker)
    if running is not None:
        return running
    spec.pidfile.parent.mkdir(parents=True, exist_ok=True)
    spec.logfile.parent.mkdir(parents=True, exist_ok=True)
    spec.pidfile.unlink(missing_ok=True)
    _launch(spec, timeout)
    pid = read_pidfile(spec.pidfile)
    if pid is None:
        raise InfrastructureError("launcher wrote no pidfile", detail=_log_tail(spec.logfile))
    try:
        _await_exec(pid, spec, timeout)
    except InfrastructureError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)  # the pid we just launched: never leave it half-started
        _wait_gone(pid, 2.0)
        spec.pidfile.unlink(missing_ok=True)
        raise
    return pid


def _launch(spec: ProcessSpec, timeout: float) -> None:
    payload = json.dumps(
        {
            "argv": in_netns(spec.netns, spec.argv) if spec.netns else list(spec.argv),
            "procs": [str(p) for p in cgroups.procs_files(spec.cgroup)] if spec.cgroup else [],
            "pidfile": str(spec.pidfile),
        }
    )
    with open(spec.logfile, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _LAUNCHER],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=log,
            cwd=spec.cwd,
            env=None if spec.env is None else dict(spec.env),
            start_new_session=True,
            close_fds=True,
        )
    try:
        proc.communicate(payload.encode(), timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        proc.kill()
        proc.wait()
        raise InfrastructureError("launcher hung", retryable=True) from exc
    if proc.returncode != 0:
        raise InfrastructureError(f"could not start {spec.argv[0]}", detail=_log_tail(spec.logfile))


def _await_exec(pid: int, spec: ProcessSpec, timeout: float) -> None:
    """Wait until `pid` runs the command (not the launcher or `ip netns exec` any more)."""
    deadline = time.monotonic() + timeout
    while not _matches(pid, spec.marker) or _in_ip_netns_exec(pid):
        if cmdline(pid) is None:
            raise InfrastructureError(
                f"{spec.argv[0]} exited at start", detail=_log_tail(spec.logfile)
            )
        if time.monotonic() > deadline:
            raise InfrastructureError(f"{spec.argv[0]} did not start", retryable=True)
        time.sleep(_POLL_S)


def _in_ip_netns_exec(pid: int) -> bool:
    return (cmdline(pid) or [])[:3] == ["ip", "netns", "exec"]


def _log_tail(logfile: Path) -> str:
    try:
        data = logfile.read_bytes()[-_LOG_TAIL_BYTES:]
    except FileNotFoundError:
        return f"{logfile}: missing"
    return f"{logfile}:\n" + data.decode(errors="replace")


# --- stop -------------------------------------------------------------------------------------


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while cmdline(pid) is not None:
        if time.monotonic() > deadline:
            return False
        time.sleep(_POLL_S)
    return True


def terminate(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM `pid`, wait up to `timeout`, then SIGKILL it. Already gone: no-op.

    Raises a retryable `InfrastructureError` if it is still alive 2 s after SIGKILL.
    """
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 2.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        if _wait_gone(pid, wait):
            return
    raise InfrastructureError(f"process {pid} survives SIGKILL", retryable=True)


def stop(pidfile: Path, marker: str, timeout: float = 10.0) -> bool:
    """Stop the process recorded in `pidfile` (verified by `marker`) and remove the pidfile.

    Returns whether a process was running. Nothing running (or the pid now belongs to an
    unrelated process, which is left alone): the stale pidfile is removed, returns False.
    """
    pid = find_process(pidfile, marker)
    if pid is not None:
        terminate(pid, timeout)
    Path(pidfile).unlink(missing_ok=True)
    return pid is not None
