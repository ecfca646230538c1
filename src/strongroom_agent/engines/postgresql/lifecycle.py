"""Bringing the cluster's files and postmaster into being: directories, initdb, launch as
the `postgres` OS user, wait until it answers, fast shutdown.

Imports the standard library only (`sql`, with the client library, on first use): the
agent's boot starts initdb through `boot` before it imports anything heavy.
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import signal
import subprocess
import time
from pathlib import Path

from strongroom.contracts.errors import InfrastructureError
from strongroom_agent.engines import process
from strongroom_agent.engines.durability import sync_then_rename
from strongroom_agent.engines.early import EarlyInstalls
from strongroom_agent.engines.postgresql.config import SUPERUSER, Layout

log = logging.getLogger(__name__)

BIN_DIR = Path("/usr/lib/postgresql/15/bin")
SERVER_BINARY = BIN_DIR / "postgres"
INITDB_BINARY = BIN_DIR / "initdb"
SETPRIV = "/usr/bin/setpriv"
INITDB_TIMEOUT_SECONDS = 300
LEFTOVER_STOP_SECONDS = 10.0
READY_POLL_SECONDS = 0.05  # a probe during start-up forks a backend that refuses it


def as_user(os_user: str, argv: list[str]) -> list[str]:
    """`argv` run as `os_user` (PostgreSQL refuses root): setpriv execs in place, so the
    pid the agent starts is the server's own."""
    return [SETPRIV, f"--reuid={os_user}", f"--regid={os_user}", "--init-groups", "--", *argv]


def ensure_directories(layout: Layout, os_user: str) -> None:
    """The private socket and log directories, owned by `os_user` (parents stay root's)."""
    account = pwd.getpwnam(os_user)
    for directory, mode in ((layout.socket_dir, 0o700), (layout.log_dir, 0o750)):
        directory.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        directory.mkdir(mode=mode, exist_ok=True)
        os.chown(directory, account.pw_uid, account.pw_gid)
        directory.chmod(mode)


_early = EarlyInstalls("initdb")


def begin_initialise(layout: Layout, os_user: str) -> None:
    """`ensure_directories` and `initialise` in a background thread, started by the agent's
    boot before its imports; the next `initialise` of the same data dir waits for it first
    (and redoes what a failed one cleaned up)."""

    def install() -> bool:
        ensure_directories(layout, os_user)
        return _install(layout, os_user)

    _early.begin(layout.datadir, install)


def initialise(layout: Layout, os_user: str) -> bool:
    """Wait for an initdb `begin_initialise` started, then `_install`."""
    _early.wait(layout.datadir)
    return _install(layout, os_user)


def _install(layout: Layout, os_user: str) -> bool:
    """initdb unless the data dir exists: into a sibling renamed into place at the end (a
    data dir is relocatable), so a crash mid-way leaves nothing half done; initdb skips its
    per-file syncs and the volume is flushed once before the rename (`durability`). UTF8,
    C.UTF-8, SCRAM; returns whether it initialised."""
    if layout.datadir.is_dir():
        return False
    partial = layout.datadir.with_name(layout.datadir.name + ".partial")
    if partial.exists():
        _stop_leftovers(partial)
        shutil.rmtree(partial, ignore_errors=True)
    account = pwd.getpwnam(os_user)
    partial.mkdir(mode=0o700)
    os.chown(partial, account.pw_uid, account.pw_gid)
    argv = [
        str(INITDB_BINARY),
        f"--pgdata={partial}",
        f"--username={SUPERUSER}",
        "--encoding=UTF8",
        "--locale=C.UTF-8",
        "--auth-local=peer",
        "--auth-host=scram-sha-256",
        "--no-instructions",
        "--no-sync",  # `sync_then_rename` flushes the volume once instead
    ]
    log_path = layout.log_dir / "initdb.log"
    with log_path.open("ab") as sink:
        result = subprocess.run(
            as_user(os_user, argv),
            cwd="/",
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            timeout=INITDB_TIMEOUT_SECONDS,
            check=False,
        )
    if result.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        raise InfrastructureError(
            "initialising the data directory failed",
            detail=f"initdb exited {result.returncode}: {_tail(log_path)}",
            retryable=True,  # nothing is left behind
        )
    sync_then_rename(partial, layout.datadir)
    return True


def _stop_leftovers(partial: Path) -> None:
    """Stop what an interrupted initdb left writing into `partial` (an agent killed during
    initdb leaves initdb and its bootstrap postgres running), before the next attempt."""
    marker = str(partial)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            args = process.cmdline(int(entry.name))
            if args and any(marker in arg for arg in args):
                log.warning("stopping a leftover initdb process (pid %s)", entry.name)
                process.terminate(int(entry.name), marker, LEFTOVER_STOP_SECONDS)


def write_file(path: Path, text: str, os_user: str) -> bool:
    """Write `text` (mode 0600, owned by `os_user`) atomically; False when it was already so."""
    try:
        if path.read_text() == text:
            return False
    except FileNotFoundError:
        pass
    account = pwd.getpwnam(os_user)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.chown(tmp, account.pw_uid, account.pw_gid)
    tmp.chmod(0o600)
    os.replace(tmp, path)
    return True


def launch(layout: Layout, port: int, os_user: str, timeout: float) -> int:
    """Start the postmaster detached and wait until it answers over the socket; its pid."""
    argv = as_user(os_user, [str(SERVER_BINARY), "-D", str(layout.datadir)])
    proc = process.spawn_detached(argv, cwd=layout.datadir, output=layout.startup_log)
    wait_ready(layout, port, timeout, proc)
    return proc.pid


def wait_ready(
    layout: Layout, port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None
) -> None:
    """Poll `SELECT 1` until it works; fail early if our child `proc` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe(layout.socket_dir, port):
            return
        if proc is not None and proc.poll() is not None:
            raise InfrastructureError(
                "the database server exited while starting",
                detail=f"exit code {proc.returncode}; {log_tail(layout)}",
            )
        time.sleep(READY_POLL_SECONDS)
    raise InfrastructureError(
        f"the database server did not answer within {timeout:.0f}s",
        detail=log_tail(layout),
        retryable=True,
    )


def stop(layout: Layout, timeout: float) -> None:
    """Fast shutdown (SIGINT: sessions are ended, a checkpoint is written); SIGQUIT, then
    SIGKILL, when it takes longer than `timeout`."""
    pid = find_pid(layout)
    if pid is None:
        return
    mark = marker(layout)
    for signum, wait in ((signal.SIGINT, timeout), (signal.SIGQUIT, 10.0), (signal.SIGKILL, 10.0)):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            return
        if process.wait_gone(pid, mark, wait):
            return
        log.warning("postgres (pid %d) still runs after %s", pid, signal.Signals(signum).name)


def log_tail(layout: Layout, lines: int = 8) -> str:
    """The end of the server log, else of the start-up output (for operators)."""
    for path in (layout.server_log, layout.startup_log):
        tail = _tail(path, lines)
        if not tail.startswith("(no log"):
            return tail
    return "no server log"


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").strip()
    except OSError:
        return f"(no log at {path})"
    return " | ".join(text.splitlines()[-lines:]) or f"(no log at {path})"


def marker(layout: Layout) -> str:
    """The argument that identifies this instance's postmaster among all processes."""
    return str(layout.datadir)


def find_pid(layout: Layout) -> int | None:
    """The running postmaster's pid (via its external pid file), or None."""
    return process.find_server(layout.pidfile, marker(layout))


def probe(socket_dir: Path, port: int) -> bool:
    """`SELECT 1` over the socket answers (the client library imported here, on first use)."""
    from strongroom_agent.engines.postgresql import sql

    return sql.probe(socket_dir, port).healthy
