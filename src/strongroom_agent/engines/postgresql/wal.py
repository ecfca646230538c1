"""Continuous WAL archiving by spool and pull: the server's `archive_command` copies each
finished WAL file into a spool directory on the volume (outside the data dir, so base backups
never carry it); the control plane lists, downloads and acknowledges (deletes) spooled files
over the agent's mTLS API and stores them itself: the instance holds no store credential.

The copy is atomic (a dot-named temporary file, fsynced, renamed into place), and a file
already spooled under the same name is never replaced: identical content counts as archived
(the archiver retries after a crash), different content fails the command, which PostgreSQL
retries and reports in `pg_stat_archiver` rather than losing either file.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from strongroom.contracts.agent import WAL_FILE_NAME, ParameterValue, WalSegment, WalSwitch
from strongroom.contracts.errors import BadRequest, InfrastructureError, NotFound
from strongroom_agent.engines.postgresql.lifecycle import BIN_DIR

ARCHIVE_TIMEOUT_SECONDS = 60
"""A WAL file is closed (and archived) at least this often when anything was written."""
SPOOL_NAME = "wal-spool"
RESTORE_SPOOL_NAME = "wal-restore"
WALDUMP_BINARY = BIN_DIR / "pg_waldump"
WALDUMP_TIMEOUT_SECONDS = 60
RECOVERY_FILE = "strongroom-recovery.json"
"""In a restore part: the recovery target (`target_lsn` or `target_time`)."""
WAL_PART_DIR = "wal"
"""In a restore part: WAL files for `restore_command`."""
PROMOTE_TIMEOUT_SECONDS = 3600.0
_TRANSACTION_END = re.compile(
    r"desc: (?:COMMIT|ABORT)(?:_PREPARED)? (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) UTC"
)


def archive_command(spool: Path) -> str:
    """The shell command PostgreSQL runs per finished file (`%p` its path relative to the
    data dir, `%f` its name)."""
    target = f'"{spool}/%f"'
    temporary = f'"{spool}/.%f.tmp"'
    return (
        f"if [ -e {target} ]; then cmp -s %p {target}; "
        f"else cp %p {temporary} && sync {temporary} && mv {temporary} {target}; fi"
    )


def settings(spool: Path) -> dict[str, ParameterValue]:
    """The archiving settings of `postgresql.conf`."""
    return {
        "wal_level": "replica",
        "archive_mode": "on",
        "archive_timeout": ARCHIVE_TIMEOUT_SECONDS,
        "archive_command": archive_command(spool),
    }


def ensure_spool(spool: Path, os_user: str) -> None:
    """The spool directory, owned by the server's OS user (the archiver writes it)."""
    account = pwd.getpwnam(os_user)
    spool.mkdir(mode=0o700, exist_ok=True)
    os.chown(spool, account.pw_uid, account.pw_gid)


def segments(spool: Path) -> list[WalSegment]:
    """The spooled files, oldest first (PostgreSQL's names sort in WAL order per timeline);
    temporary copies in flight are not listed."""
    found: list[WalSegment] = []
    if not spool.is_dir():
        return found
    for path in sorted(spool.iterdir()):
        if not WAL_FILE_NAME.match(path.name):
            continue
        try:
            stat = path.stat()
        except FileNotFoundError:  # acknowledged meanwhile
            continue
        found.append(
            WalSegment(
                name=path.name,
                size_bytes=stat.st_size,
                spooled_at=datetime.fromtimestamp(stat.st_mtime, UTC),
                last_commit_at=last_commit(path),
            )
        )
    return found


def last_commit(path: Path) -> datetime | None:
    """The time of the last transaction end recorded in a WAL segment (pg_waldump), cached
    beside it; None for other files and segments without one."""
    if len(path.name) != 24:
        return None
    cache = path.with_name(f".{path.name}.commit")
    try:
        text = cache.read_text()
    except FileNotFoundError:
        result = subprocess.run(
            [str(WALDUMP_BINARY), "--rmgr=Transaction", str(path)],
            capture_output=True,
            text=True,
            timeout=WALDUMP_TIMEOUT_SECONDS,
            env={"TZ": "UTC", "PATH": "/usr/bin:/bin"},
            check=False,  # it ends with an error at the end of the data: expected
        )
        found = _TRANSACTION_END.findall(result.stdout)
        text = found[-1] if found else ""
        cache.write_text(text)
    if not text:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def segment_file(spool: Path, name: str) -> Path:
    """The spooled file `name`; `BadRequest` for a name that is not a WAL file's."""
    path = spool / _checked(name)
    if not path.is_file():
        raise NotFound(f"WAL file {name} is not spooled")
    return path


def acknowledge(spool: Path, name: str) -> None:
    """Remove `name` from the spool (no-op when already gone)."""
    (spool / _checked(name)).unlink(missing_ok=True)
    (spool / f".{name}.commit").unlink(missing_ok=True)


def switch(conn: object) -> WalSwitch:
    """`pg_switch_wal()`: the file in progress is closed and handed to the archiver."""
    # A transaction with an id first: its commit record dates the end of the closed file,
    # so a point-in-time recovery to any earlier time finds a commit after its target.
    # The returned position is where the switch record starts (after that commit): inside the
    # closed file, so a recovery to it finds its stop there without needing the next file.
    conn.execute("SELECT txid_current()")  # type: ignore[attr-defined]
    point = conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()[0]  # type: ignore[attr-defined]
    cursor = conn.execute(  # type: ignore[attr-defined]
        "SELECT pg_walfile_name(lsn), clock_timestamp() FROM pg_switch_wal() AS lsn"
    )
    segment, at = cursor.fetchone()
    return WalSwitch(lsn=point, segment=segment, at=at)


def _checked(name: str) -> str:
    if not WAL_FILE_NAME.match(name):
        raise BadRequest(f"{name!r} is not a WAL file name")
    return name


# Recovery from archived WAL ----------------------------------------------------------------


def recovery_target(parts: list[Path]) -> dict[str, str] | None:
    """The target of the last part that names one (a later part overrides)."""
    target: dict[str, str] | None = None
    for part in parts:
        path = part / RECOVERY_FILE
        if path.is_file():
            loaded: Any = json.loads(path.read_text())
            if not isinstance(loaded, dict) or not (
                set(loaded) <= {"target_lsn", "target_time"} and len(loaded) == 1
            ):
                raise BadRequest("a restore part names an invalid recovery target")
            target = {str(k): str(v) for k, v in loaded.items()}
    return target


def stage_wal(parts: list[Path], restore_spool: Path, os_user: str) -> int:
    """Move the WAL files of every part into the restore spool; how many."""
    shutil.rmtree(restore_spool, ignore_errors=True)
    ensure_spool(restore_spool, os_user)
    account = pwd.getpwnam(os_user)
    count = 0
    for part in parts:
        folder = part / WAL_PART_DIR
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            if not WAL_FILE_NAME.match(path.name):
                raise BadRequest(f"a restore part carries {path.name!r}, not a WAL file")
            os.chown(path, account.pw_uid, account.pw_gid)
            os.replace(path, restore_spool / path.name)
            count += 1
    return count


def recovery_settings(restore_spool: Path, target: dict[str, str]) -> str:
    """`postgresql.auto.conf` for a targeted recovery from the restore spool, then promotion."""
    lines = [
        "# Written by strongroom-agent for a point-in-time recovery; cleared once promoted.",
        f'restore_command = \'cp "{restore_spool}/%f" "%p"\'',
        "recovery_target_action = 'promote'",
        "recovery_target_timeline = 'latest'",
    ]
    if "target_lsn" in target:
        lines.append(f"recovery_target_lsn = '{_lsn(target['target_lsn'])}'")
    else:
        at = _time(target["target_time"])
        lines.append(f"recovery_target_time = '{at.isoformat()}'")
    return "\n".join(lines) + "\n"


def wait_promoted(
    admin: Callable[[], AbstractContextManager[Any]], alive: Callable[[], bool], timeout: float
) -> None:
    """Until the server has left recovery; `InfrastructureError` when it stopped (a target
    it could not reach) or the time ran out."""
    deadline = time.monotonic() + timeout
    while True:
        if not alive():
            raise InfrastructureError(
                "the recovery stopped before its target",
                detail="the archived WAL does not reach the requested point",
            )
        try:
            with admin() as conn:
                if not conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                    return
        except InfrastructureError:
            pass  # shutting down after a failed recovery, or not ready yet
        if time.monotonic() > deadline:
            raise InfrastructureError("the recovery did not finish in time")
        time.sleep(0.2)


def _lsn(value: str) -> str:
    if not re.fullmatch(r"[0-9A-F]{1,8}/[0-9A-F]{1,8}", value):
        raise BadRequest(f"{value!r} is not a WAL position")
    return value


def _time(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{value!r} is not an ISO-8601 time") from None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
