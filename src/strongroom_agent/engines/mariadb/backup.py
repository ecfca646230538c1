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
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from strongroom.contracts.backups import BackupKind
from strongroom.contracts.errors import BadRequest, InfrastructureError
from strongroom_agent.engines.backup import BackupStream
from strongroom_agent.engines.mariadb.config import Layout

MARIABACKUP_BINARY = "/usr/bin/mariabackup"
CHECKPOINT_FILE = "xtrabackup_checkpoints"
READ_SIZE = 1 << 20
_LOG_TAIL_BYTES = 600


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


class MariabackupStream(BackupStream):
    """A running `mariabackup --backup`; scratch files in a directory of the server's tmpdir."""

    def __init__(self, layout: Layout, kind: BackupKind, parent_checkpoint: str | None) -> None:
        incremental = kind is BackupKind.INCREMENTAL
        if incremental and not parent_checkpoint:
            raise BadRequest("an incremental backup needs its parent's checkpoint")
        self.work = layout.tmpdir / f"backup-{secrets.token_hex(6)}"
        self.work.mkdir(mode=0o700)
        (self.work / "lsn").mkdir()
        (self.work / "target").mkdir()
        if incremental:
            (self.work / "parent").mkdir()
            (self.work / "parent" / CHECKPOINT_FILE).write_text(parent_checkpoint or "")
        self.log_path = self.work / "mariabackup.log"
        with self.log_path.open("wb") as log_sink:
            self.proc = subprocess.Popen(
                backup_argv(layout, self.work, incremental),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log_sink,
                cwd=self.work,
            )

    def chunks(self) -> Iterator[bytes]:
        stdout = self.proc.stdout
        assert stdout is not None
        while chunk := stdout.read(READ_SIZE):
            yield chunk

    def checkpoint(self) -> str:
        code = self.proc.wait()
        if code != 0:
            raise InfrastructureError(
                "the backup tool failed", detail=f"mariabackup exited {code}: {self._log_tail()}"
            )
        try:
            return (self.work / "lsn" / CHECKPOINT_FILE).read_text()
        except OSError as exc:
            raise InfrastructureError(
                "the backup tool wrote no checkpoint", detail=str(exc)
            ) from None

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        shutil.rmtree(self.work, ignore_errors=True)

    def _log_tail(self) -> str:
        try:
            data = self.log_path.read_bytes()[-_LOG_TAIL_BYTES:]
        except OSError:
            return "no log"
        return " | ".join(data.decode(errors="replace").strip().splitlines()[-4:])
