"""Server processes that outlive the agent: start detached, find again by pid file, stop."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)


def read_pid(pidfile: Path) -> int | None:
    """The pid in `pidfile`, or None when it is missing or garbled."""
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def cmdline(pid: int) -> list[str] | None:
    """Arguments of process `pid`, or None when it is gone (zombies count as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return None
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, IndexError):
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def find_server(pidfile: Path, marker: str) -> int | None:
    """The pid from `pidfile` if that process lives and its arguments contain `marker`
    (so that a recycled pid is never mistaken for our server)."""
    pid = read_pid(pidfile)
    if pid is None:
        return None
    args = cmdline(pid)
    if args is None or not any(marker in arg for arg in args):
        return None
    return pid


def spawn_detached(argv: list[str], cwd: Path, output: Path) -> subprocess.Popen[bytes]:
    """Start `argv` in a new session (it survives the agent), stdout/stderr appended to
    `output`; a daemon thread reaps it if it exits while the agent lives."""
    with output.open("ab") as sink:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    threading.Thread(target=proc.wait, name=f"reap-{proc.pid}", daemon=True).start()
    return proc


def terminate(pid: int, marker: str, timeout: float) -> bool:
    """SIGTERM `pid` and wait until it is gone; SIGKILL after `timeout`. False if forced."""
    if not _signal(pid, signal.SIGTERM):
        return True
    if wait_gone(pid, marker, timeout):
        return True
    log.warning("process %d ignored SIGTERM for %.0fs; killing it", pid, timeout)
    _signal(pid, signal.SIGKILL)
    wait_gone(pid, marker, 10.0)
    return False


def wait_gone(pid: int, marker: str, timeout: float) -> bool:
    """Poll until process `pid` (still matching `marker`) no longer exists."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        args = cmdline(pid)
        if args is None or not any(marker in arg for arg in args):
            return True
        time.sleep(0.05)
    return False


def _signal(pid: int, signum: int) -> bool:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        return False
    return True
