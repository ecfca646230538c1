"""Bringing mariadbd's files and process into being: directories, install-db, launch, wait.

Imports the standard library only (`sql`, with the client library, on first use): the
agent's boot starts the install through `boot` before it imports anything heavy.
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path

from strongroom.contracts.errors import InfrastructureError
from strongroom_agent.engines import process
from strongroom_agent.engines.durability import sync_then_rename
from strongroom_agent.engines.early import EarlyInstalls
from strongroom_agent.engines.mariadb.config import Layout

INSTALL_BINARY = "/usr/bin/mariadb-install-db"
INSTALL_TIMEOUT_SECONDS = 300
INSTALL_STOP_SECONDS = 10.0
READY_POLL_SECONDS = 0.02  # a refused probe costs ~0.1 ms; a start is ~0.2 s

log = logging.getLogger(__name__)


def ensure_directories(layout: Layout, os_user: str) -> None:
    """Create the server's private directories, owned by `os_user` (parents stay root's)."""
    account = pwd.getpwnam(os_user)
    for directory in (layout.tmpdir, layout.socket.parent, layout.error_log.parent):
        directory.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        directory.mkdir(mode=0o750, exist_ok=True)
        os.chown(directory, account.pw_uid, account.pw_gid)


_early = EarlyInstalls("install-db")


def begin_initialise(layout: Layout, os_user: str, redo_log_size: str | None = None) -> None:
    """`ensure_directories` and `initialise` in a background thread, started by the agent's
    boot before its imports; the next `initialise` of the same data dir waits for it first
    (and redoes what a failed one cleaned up)."""

    def install() -> bool:
        ensure_directories(layout, os_user)
        return _install(layout, os_user, redo_log_size)

    _early.begin(layout.datadir, install)


def initialise(layout: Layout, os_user: str, redo_log_size: str | None = None) -> bool:
    """Wait for an install `begin_initialise` started, then `_install`."""
    _early.wait(layout.datadir)
    return _install(layout, os_user, redo_log_size)


def _install(layout: Layout, os_user: str, redo_log_size: str | None) -> bool:
    """Run mariadb-install-db unless the data dir exists (after `ensure_directories`: its
    temporary tables go to the private tmpdir). It installs into a sibling directory renamed
    into place at the end, so a crash mid-way leaves nothing half done; its bootstrap server
    runs without per-file syncs and the volume is flushed once before the rename
    (`durability`). `redo_log_size`: the server's `innodb-log-file-size`, so that its first
    start does not rewrite the redo log the bootstrap made at the default size (~50 ms).
    Returns whether it initialised."""
    if layout.datadir.is_dir():
        return False
    partial = layout.datadir.with_name(layout.datadir.name + ".partial")
    if partial.exists():
        _stop_leftover_installers(partial)
        shutil.rmtree(partial, ignore_errors=True)
    argv = [
        INSTALL_BINARY,
        "--no-defaults",
        f"--user={os_user}",
        f"--datadir={partial}",
        # Private temporary tables: every mariadbd starting on the host deletes the `#sql*`
        # files of its tmpdir (leftovers, it assumes), which made a bootstrap sharing /tmp
        # fail now and then under load ("Error on delete of '/tmp/#sql-temptable-...'").
        f"--tmpdir={layout.tmpdir}",
        "--skip-test-db",
        "--skip-name-resolve",
        "--auth-root-authentication-method=socket",
        # Passed on to the bootstrap mariadbd: ~1000 fdatasyncs (DDL log, Aria, InnoDB) made
        # an install 2-4x slower on a busy host; `sync_then_rename` flushes once instead.
        "--debug-no-sync",
        *([f"--innodb-log-file-size={redo_log_size}"] if redo_log_size else []),
    ]
    log_path = layout.error_log.with_name("install-db.log")
    with log_path.open("ab") as sink:
        result = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            timeout=INSTALL_TIMEOUT_SECONDS,
            check=False,
        )
    if result.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        raise InfrastructureError(
            "initialising the data directory failed",
            detail=f"mariadb-install-db exited {result.returncode}: {_tail(log_path)}",
            retryable=True,  # nothing is left behind; a transient failure may pass next time
        )
    sync_then_rename(partial, layout.datadir)
    return True


def _stop_leftover_installers(partial: Path) -> None:
    """Kill what an interrupted run left writing into `partial` (an agent killed during
    install-db leaves it running), so that it cannot mix its files into the next attempt's."""
    marker = f"--datadir={partial}"
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            args = process.cmdline(int(entry.name))
            if args and marker in args:
                log.warning("stopping leftover installer (pid %s)", entry.name)
                process.terminate(int(entry.name), marker, INSTALL_STOP_SECONDS)


def _tail(log: Path, lines: int = 15) -> str:
    """The end of a log, for an operator's fault detail (install-db logs hold no secrets)."""
    try:
        return " | ".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {log})"


def launch(argv: list[str], layout: Layout, timeout: float) -> int:
    """Start mariadbd detached and wait until it answers over the socket; return its pid."""
    proc = process.spawn_detached(
        argv, cwd=layout.datadir.parent, output=layout.error_log.with_name("mariadbd.out")
    )
    wait_ready(layout, timeout, proc)
    return proc.pid


def wait_ready(layout: Layout, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Poll `SELECT 1` until it works; fail early if our child `proc` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe(layout.socket):
            return
        if proc is not None and proc.poll() is not None:
            raise InfrastructureError(
                "the database server exited while starting",
                detail=f"exit code {proc.returncode}; {error_log_tail(layout)}",
            )
        time.sleep(READY_POLL_SECONDS)
    raise InfrastructureError(
        f"the database server did not answer within {timeout:.0f}s",
        detail=error_log_tail(layout),
        retryable=True,
    )


def error_log_tail(layout: Layout, lines: int = 8) -> str:
    """The last lines of the server's error log (for operators' error detail)."""
    try:
        text = layout.error_log.read_text(errors="replace")
    except OSError:
        return "no error log"
    return " | ".join(text.strip().splitlines()[-lines:])


def marker(layout: Layout) -> str:
    """The argument that identifies this instance's server among all processes."""
    return f"--datadir={layout.datadir}"


def find_pid(layout: Layout) -> int | None:
    """The running server's pid (via its pid file), or None."""
    return process.find_server(layout.pidfile, marker(layout))


def probe(socket: Path) -> bool:
    """`SELECT 1` over the socket answers (the client library imported here, on first use)."""
    from strongroom_agent.engines.mariadb import sql

    return sql.probe(socket).healthy
