"""Restores with mariabackup: unpack each streamed part with `mbstream -x` into a staging
directory on the volume, then prepare the full, apply each incremental in order, move the
result back into a fresh data dir (built beside it and renamed into place) and chown it."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from strongroom.contracts.errors import BadRequest, Conflict, InfrastructureError
from strongroom_agent.engines import restore as engine_restore
from strongroom_agent.engines.backup import SCRATCH_PREFIX
from strongroom_agent.engines.mariadb.backup import CHECKPOINT_FILE, MARIABACKUP_BINARY
from strongroom_agent.engines.mariadb.config import Layout

MBSTREAM_BINARY = "/usr/bin/mbstream"


def staging_dir(layout: Layout) -> Path:
    """Where the parts of a restore wait (on the data volume, beside the data dir)."""
    return layout.datadir.with_name("restore-staging")


def stage(layout: Layout, parts: Iterable[engine_restore.PartStream]) -> int:
    """Unpack every part into `part-N` of a fresh staging dir; returns the part count.
    `Conflict` if the data dir exists; on any error the staging dir is removed."""
    return engine_restore.stage(layout.datadir, staging_dir(layout), parts, _unpack_argv)


def stale_scratch(layout: Layout) -> list[Path]:
    """Backup work dirs, the restore staging and a half-built data dir, as they exist now."""
    found = sorted(layout.tmpdir.glob(f"{SCRATCH_PREFIX}*"))
    return found + [p for p in (staging_dir(layout), _partial(layout)) if p.exists()]


def _unpack_argv(target: Path) -> list[str]:
    return [MBSTREAM_BINARY, "-x", "-C", str(target)]


def finish(layout: Layout, os_user: str) -> None:
    """Check the chain, prepare the staged full, apply the incrementals, move into the data
    dir, chown. On failure nothing is left but the error: the staging is consumed (prepare
    changes it in place), so a retry restores from the start."""
    staging = staging_dir(layout)
    parts = sorted(staging.glob("part-*"), key=lambda p: int(p.name.split("-")[1]))
    if not parts:
        raise Conflict("no restore is staged")
    try:
        check_chain(parts)
        _prepare_and_move(layout, os_user, staging, parts)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(_partial(layout), ignore_errors=True)


def check_chain(parts: list[Path]) -> None:
    """The first part is a full and each next one an incremental starting exactly where the
    previous one ended (their `xtrabackup_checkpoints`); `BadRequest` otherwise."""
    previous_to: str | None = None
    for index, part in enumerate(parts):
        fields = _checkpoints(part)
        expected = "full-backuped" if index == 0 else "incremental"
        if fields.get("backup_type") != expected:
            raise BadRequest(
                f"restore part {index} is not a {expected.split('-')[0]} backup",
                detail=f"backup_type = {fields.get('backup_type')}",
            )
        if previous_to is not None and fields.get("from_lsn") != previous_to:
            raise BadRequest(
                f"restore part {index} does not continue part {index - 1}",
                detail=f"from_lsn {fields.get('from_lsn')}, previous to_lsn {previous_to}",
            )
        previous_to = fields.get("to_lsn")


def _checkpoints(part: Path) -> dict[str, str]:
    try:
        text = (part / CHECKPOINT_FILE).read_text()
    except OSError:
        return {}
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def _partial(layout: Layout) -> Path:
    return layout.datadir.with_name(layout.datadir.name + ".restoring")


def _prepare_and_move(layout: Layout, os_user: str, staging: Path, parts: list[Path]) -> None:
    full, incrementals = parts[0], parts[1:]
    log_path = staging / "mariabackup.log"
    _run([MARIABACKUP_BINARY, "--no-defaults", "--prepare", f"--target-dir={full}"], log_path)
    for part in incrementals:
        argv = [MARIABACKUP_BINARY, "--no-defaults", "--prepare", f"--target-dir={full}"]
        _run([*argv, f"--incremental-dir={part}"], log_path)
    partial = _partial(layout)
    shutil.rmtree(partial, ignore_errors=True)
    argv = [MARIABACKUP_BINARY, "--no-defaults", "--move-back", f"--target-dir={full}"]
    _run([*argv, f"--datadir={partial}"], log_path)
    engine_restore.chown_tree(partial, os_user)
    os.replace(partial, layout.datadir)


def _run(argv: list[str], log_path: Path) -> None:
    with log_path.open("ab") as sink:
        result = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            timeout=engine_restore.TOOL_TIMEOUT_SECONDS,
            check=False,
        )
    if result.returncode != 0:
        tail = log_path.read_text(errors="replace").strip().splitlines()[-4:]
        raise InfrastructureError(
            "preparing the restored data failed",
            detail=f"{' '.join(argv[2:4])} exited {result.returncode}: {' | '.join(tail)}",
        )
