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

import os
import pwd
from datetime import UTC, datetime
from pathlib import Path

from strongroom.contracts.agent import WAL_FILE_NAME, ParameterValue, WalSegment, WalSwitch
from strongroom.contracts.errors import BadRequest, NotFound

ARCHIVE_TIMEOUT_SECONDS = 60
"""A WAL file is closed (and archived) at least this often when anything was written."""
SPOOL_NAME = "wal-spool"
RESTORE_SPOOL_NAME = "wal-restore"


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
            )
        )
    return found


def segment_file(spool: Path, name: str) -> Path:
    """The spooled file `name`; `BadRequest` for a name that is not a WAL file's."""
    path = spool / _checked(name)
    if not path.is_file():
        raise NotFound(f"WAL file {name} is not spooled")
    return path


def acknowledge(spool: Path, name: str) -> None:
    """Remove `name` from the spool (no-op when already gone)."""
    (spool / _checked(name)).unlink(missing_ok=True)


def switch(conn: object) -> WalSwitch:
    """`pg_switch_wal()`: the file in progress is closed and handed to the archiver."""
    cursor = conn.execute(  # type: ignore[attr-defined]
        "SELECT lsn::text, pg_walfile_name(lsn), now() FROM pg_switch_wal() AS lsn"
    )
    lsn, segment, at = cursor.fetchone()
    return WalSwitch(lsn=lsn, segment=segment, at=at)


def _checked(name: str) -> str:
    if not WAL_FILE_NAME.match(name):
        raise BadRequest(f"{name!r} is not a WAL file name")
    return name
