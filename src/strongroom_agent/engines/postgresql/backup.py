"""Full backups with pg_basebackup: one tar stream (`-D - -Ft -X fetch`) to a pipe, never to
the volume, taken over the private socket as the bootstrap superuser (replication is allowed
there by peer authentication only): no backup account, no password.

The checkpoint is the backup's WAL start and end points (pg_basebackup's verbose output). An
incremental is a point in the continuously archived WAL (`WalPointStream`).
"""

from __future__ import annotations

import io
import json
import re
import secrets
import tarfile
import time
from collections.abc import Iterator

from strongroom.contracts.agent import WalSwitch
from strongroom.contracts.backups import BackupKind
from strongroom.contracts.errors import BadRequest, InfrastructureError
from strongroom_agent.engines.backup import SCRATCH_PREFIX, BackupStream, ProcessBackupStream
from strongroom_agent.engines.postgresql.config import SUPERUSER, Layout
from strongroom_agent.engines.postgresql.lifecycle import BIN_DIR
from strongroom_agent.engines.postgresql.wal import RECOVERY_FILE

BASEBACKUP_BINARY = BIN_DIR / "pg_basebackup"
_POINT = re.compile(
    r"write-ahead log (start|end) point: ([0-9A-F]+/[0-9A-F]+)(?: on timeline (\d+))?"
)


def backup_argv(layout: Layout, port: int) -> list[str]:
    """The pg_basebackup command streaming one tar of the cluster (WAL included) to stdout."""
    return [
        str(BASEBACKUP_BINARY),
        f"--host={layout.socket_dir}",
        f"--port={port}",
        f"--username={SUPERUSER}",
        "--no-password",
        "--pgdata=-",
        "--format=tar",
        "--wal-method=fetch",
        "--checkpoint=fast",
        "--label=strongroom",
        "--verbose",
    ]


def check_kind(kind: BackupKind, parent_checkpoint: str | None) -> None:
    """`BadRequest` for an incremental without its parent's checkpoint."""
    if kind is BackupKind.INCREMENTAL and not parent_checkpoint:
        raise BadRequest("an incremental backup needs its parent's checkpoint")


class WalPointStream(BackupStream):
    """An incremental: a point in the continuously archived WAL. The WAL file in progress
    was closed (so the archiver spools it); the stream is a tiny tar naming that point as the
    recovery target, and a restore replays the archived WAL from the parent full up to it."""

    def __init__(self, point: WalSwitch) -> None:
        self.point = point

    def chunks(self) -> Iterator[bytes]:
        target = json.dumps({"target_lsn": self.point.lsn}).encode()
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
            info = tarfile.TarInfo(RECOVERY_FILE)
            info.size, info.mode, info.mtime = len(target), 0o600, int(time.time())
            archive.addfile(info, io.BytesIO(target))
        yield buffer.getvalue()

    def checkpoint(self) -> str:
        return json.dumps(
            {
                "format": "wal-point",
                "target_lsn": self.point.lsn,
                "segment": self.point.segment,
                "at": self.point.at.isoformat(),
            },
            sort_keys=True,
        )

    def close(self) -> None:
        return None


class BaseBackupStream(ProcessBackupStream):
    """A running pg_basebackup; its log in a scratch directory of the volume's tmp dir."""

    def __init__(self, layout: Layout, port: int) -> None:
        layout.tmpdir.mkdir(mode=0o700, exist_ok=True)
        work = layout.tmpdir / f"{SCRATCH_PREFIX}{secrets.token_hex(6)}"
        work.mkdir(mode=0o700)
        super().__init__(work, backup_argv(layout, port), "pg_basebackup", "pg_basebackup.log")

    def checkpoint(self) -> str:
        self.wait_tool()
        points: dict[str, str] = {"format": "pg_basebackup-tar"}
        for kind, lsn, timeline in _POINT.findall(self.log_path.read_text(errors="replace")):
            points[f"{kind}_lsn"] = lsn
            if timeline:
                points["timeline"] = timeline
        if "start_lsn" not in points or "end_lsn" not in points:
            raise InfrastructureError(
                "the backup tool reported no WAL points", detail=self.log_tail()
            )
        return json.dumps(points, sort_keys=True)
