"""Backups with mariabackup: `--stream=xbstream` to a pipe, never to the volume.

The agent runs mariabackup as the server's local root over the private socket (unix_socket
authentication), like all its administration: no backup account, no password to keep or
rotate, and nothing reachable over the network. The checkpoint is the `xtrabackup_checkpoints`
file mariabackup writes to `--extra-lsndir`; for an incremental the control plane sends the
parent's back, and the agent writes it into a scratch `--incremental-basedir` (the agent keeps
no backup state, so any backup can be the parent of the next one).
"""

from __future__ import annotations

import secrets
from pathlib import Path

from strongroom.contracts.backups import BackupKind
from strongroom.contracts.errors import BadRequest, InfrastructureError
from strongroom_agent.engines.backup import SCRATCH_PREFIX, ProcessBackupStream
from strongroom_agent.engines.mariadb.config import Layout

MARIABACKUP_BINARY = "/usr/bin/mariabackup"
CHECKPOINT_FILE = "xtrabackup_checkpoints"


def backup_argv(layout: Layout, work: Path, incremental: bool) -> list[str]:
    """The mariabackup command streaming a backup of the server in `layout` to stdout."""
    argv = [
        MARIABACKUP_BINARY,
        "--no-defaults",
        "--backup",
        "--stream=xbstream",
        f"--datadir={layout.datadir}",
        f"--socket={layout.socket}",
        "--user=root",
        f"--target-dir={work / 'target'}",
        f"--tmpdir={work}",
        f"--extra-lsndir={work / 'lsn'}",
    ]
    if incremental:
        argv.append(f"--incremental-basedir={work / 'parent'}")
    return argv


class MariabackupStream(ProcessBackupStream):
    """A running `mariabackup --backup`; scratch files in a directory of the server's tmpdir."""

    def __init__(self, layout: Layout, kind: BackupKind, parent_checkpoint: str | None) -> None:
        incremental = kind is BackupKind.INCREMENTAL
        if incremental and not parent_checkpoint:
            raise BadRequest("an incremental backup needs its parent's checkpoint")
        work = layout.tmpdir / f"{SCRATCH_PREFIX}{secrets.token_hex(6)}"
        work.mkdir(mode=0o700)
        (work / "lsn").mkdir()
        (work / "target").mkdir()
        if incremental:
            (work / "parent").mkdir()
            (work / "parent" / CHECKPOINT_FILE).write_text(parent_checkpoint or "")
        argv = backup_argv(layout, work, incremental)
        super().__init__(work, argv, "mariabackup", "mariabackup.log")

    def checkpoint(self) -> str:
        self.wait_tool()
        try:
            return (self.work / "lsn" / CHECKPOINT_FILE).read_text()
        except OSError as exc:
            raise InfrastructureError(
                "the backup tool wrote no checkpoint", detail=str(exc)
            ) from None
