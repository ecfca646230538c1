"""The archived-WAL part of a restore (see `backups.wal_part`): for a point in time
(`restore_time` in the create's payload) or a chain whose incrementals are points in the WAL
(the datastore's `incremental_backup_wal` capability), the source instance's archived WAL
files from the full backup on, in WAL order, each verified and decrypted while it is sent.
For a point in time the files end with the first one whose last commit is after it (the
recovery stops there)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from strongroom.backups.keys import BackupKeys
from strongroom.backups.stream_pipeline import StoredBackup, open_backup
from strongroom.backups.wal_part import WalFile, wal_part
from strongroom.contracts.backups import BackupKind
from strongroom.contracts.errors import InfrastructureError
from strongroom.datastores import load_catalog
from strongroom.drivers.objectstore.registry import open_object_store
from strongroom.keyring import Keyring
from strongroom.steps.base import StepContext
from strongroom.store import backups, wal

INCREMENTAL_IS_WAL_POINT = "incremental_backup_wal"


def wal_parts(ctx: StepContext, chain_ids: list[str]) -> list[tuple[BackupKind, Iterator[bytes]]]:
    """The extra restore part, or none when the restore needs no archived WAL."""
    raw_time = ctx.payload.get("restore_time")
    restore_time = datetime.fromisoformat(raw_time) if raw_time else None
    with ctx.db.read() as s:
        full = backups.get(s, chain_ids[0])
        if full is None:
            raise InfrastructureError(f"backup {chain_ids[0]} of the restore chain is gone")
        wal_chain = len(chain_ids) > 1 and any(
            d.name == full.datastore and INCREMENTAL_IS_WAL_POINT in d.capabilities
            for d in load_catalog()
        )
        if restore_time is None and not wal_chain:
            return []
        # A file stored before the full backup was requested ended before the backup's start
        # point: never replayed (timeline history files are tiny and always sent).
        rows = [
            row
            for row in wal.segments(s, full.instance_id)
            if row.archived_at >= full.created_at or row.name.endswith(".history")
        ]
    files: list[StoredBackup] = []
    names: list[tuple[str, int]] = []
    for row in rows:
        files.append(StoredBackup(row.location, row.stored_bytes, row.checksum))
        names.append((row.name, row.size_bytes))
        if restore_time is not None and row.ended_at is not None and row.ended_at > restore_time:
            break
    target = {"target_time": restore_time.isoformat() + "+00:00"} if restore_time else None
    store = open_object_store(ctx.settings)
    keys = BackupKeys(Keyring(ctx.settings.state_dir))

    def opened() -> Iterator[WalFile]:
        for stored, (name, size) in zip(files, names, strict=True):
            yield WalFile(name, size, open_backup(store, stored, keys))

    return [(BackupKind.INCREMENTAL, wal_part(opened(), target))]
