"""Restores of a pg_basebackup tar: unpack the part into a staging directory on the volume,
check it is one full base backup, chown it to the server's user and rename it into place as
the data dir. The server then starts from its `backup_label` and replays the WAL the tar
carries (`-X fetch`) up to the backup's end point. Later parts carry archived WAL files
(`wal/`) and a recovery target (`strongroom-recovery.json`: a WAL-point incremental's LSN or a
point in time); with a target the server replays the archived WAL up to it, then is promoted
(see `wal`)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from strongroom.contracts.errors import BadRequest, Conflict
from strongroom_agent.engines import restore as engine_restore
from strongroom_agent.engines.backup import SCRATCH_PREFIX
from strongroom_agent.engines.postgresql import wal
from strongroom_agent.engines.postgresql.config import Layout

TAR_BINARY = "/usr/bin/tar"
LEFT_BEHIND = ("postmaster.pid", "postmaster.opts")


def stage(layout: Layout, parts: Iterable[engine_restore.PartStream]) -> int:
    """Unpack every part into `part-N` of a fresh staging dir; returns the part count.
    `Conflict` if the data dir exists; on any error the staging dir is removed."""
    return engine_restore.stage(layout.datadir, layout.staging, parts, _unpack_argv)


def stale_scratch(layout: Layout) -> list[Path]:
    """Backup work dirs and the restore staging, as they exist now (not the restore's WAL
    spool: a restored server may still be replaying from it)."""
    found = sorted(layout.tmpdir.glob(f"{SCRATCH_PREFIX}*"))
    return found + ([layout.staging] if layout.staging.exists() else [])


def _unpack_argv(target: Path) -> list[str]:
    return [TAR_BINARY, "--extract", "--file=-", f"--directory={target}", "--no-same-owner"]


def finish(layout: Layout, os_user: str, restore_spool: Path) -> dict[str, str] | None:
    """Check the staged parts (one full base backup, then parts of archived WAL and a
    recovery target), move the WAL into `restore_spool`, then chown and move the base backup
    into place; the recovery target, if any. On failure nothing is left but the error."""
    parts = sorted(layout.staging.glob("part-*"), key=lambda p: int(p.name.split("-")[1]))
    try:
        if not parts:
            raise Conflict("no restore is staged")
        check_parts(parts)
        target = wal.recovery_target(parts[1:])
        if target is not None:
            wal.stage_wal(parts[1:], restore_spool, os_user)
        full = parts[0]
        for name in LEFT_BEHIND:
            (full / name).unlink(missing_ok=True)
        engine_restore.chown_tree(full, os_user)
        full.chmod(0o700)
        os.replace(full, layout.datadir)
    finally:
        shutil.rmtree(layout.staging, ignore_errors=True)
    return target


def check_parts(parts: list[Path]) -> None:
    """A base backup (`backup_label`, `PG_VERSION` 15), then only parts of archived WAL or a
    recovery target (a WAL-point incremental); `BadRequest` otherwise."""
    for index, part in enumerate(parts):
        if index > 0:
            if (part / wal.RECOVERY_FILE).is_file() or (part / wal.WAL_PART_DIR).is_dir():
                continue
            raise BadRequest(
                f"restore part {index} is not a full backup's archived WAL or recovery target",
                detail="PostgreSQL restores one full base backup, then WAL up to a target",
            )
        if not (part / "backup_label").is_file():
            raise BadRequest(f"restore part {index} is not a full backup", detail="no backup_label")
        version = (
            (part / "PG_VERSION").read_text().strip() if (part / "PG_VERSION").is_file() else "?"
        )
        if version != "15":
            raise BadRequest(f"restore part {index} is PostgreSQL {version}, not 15")
