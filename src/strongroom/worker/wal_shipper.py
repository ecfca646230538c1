"""The WAL shipper duty: pull the finished WAL files the engines spooled on their volumes and
store them like backups (zstd, AES-GCM, sha256) under `wal/<instance_id>/<file>`.

Only instances whose datastore description has the `wal_archiving` capability are asked.
Per file: download, store, record, then acknowledge (the agent deletes its copy). A crash
between any two of these is harmless: a file stored but not recorded is stored again (same
key), one recorded but not acknowledged is acknowledged on the next round without a download.
Archived WAL stays while its instance lives or any backup of it exists; once a deleted
instance has no backup left, its WAL objects and rows are removed, and a live instance's
files stored before its oldest backup was requested (an hour, without a backup) are too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, timedelta

from sqlalchemy import select

from strongroom.backups.keys import BackupKeys
from strongroom.backups.stream_pipeline import BackupSource, store_backup
from strongroom.config import Settings
from strongroom.contracts.agent import WalSegment
from strongroom.contracts.backups import BackupKind, BackupTrailer
from strongroom.datastores.catalog import load_catalog
from strongroom.domain.instance_status import Status
from strongroom.drivers.objectstore.registry import open_object_store
from strongroom.drivers.registry import DriverSet
from strongroom.drivers.specs import GuestTarget
from strongroom.keyring import Keyring
from strongroom.store import wal
from strongroom.store.database import Database, utcnow
from strongroom.store.models import Instance, Port
from strongroom.worker.wal_archive_health import WalArchiveHealth

log = logging.getLogger(__name__)

CAPABILITY = "wal_archiving"
SHIPPED_STATUSES = (Status.ACTIVE, Status.RESTART_REQUIRED, Status.BACKUP)
"""Instances whose engine runs and may be archiving."""
UNNEEDED_GRACE_SECONDS = 3600.0
"""An instance without a backup keeps its archived WAL this long (no restore can use it)."""


def archiving_datastores() -> tuple[str, ...]:
    """Datastores whose description declares continuous WAL archiving."""
    return tuple(d.name for d in load_catalog() if CAPABILITY in d.capabilities)


@dataclass(frozen=True)
class ShipResult:
    shipped: int
    acknowledged: int


class WalShipper:
    def __init__(self, settings: Settings, db: Database, drivers: DriverSet) -> None:
        self.settings = settings
        self.db = db
        self.drivers = drivers
        self.keys = BackupKeys(Keyring(settings.state_dir))
        self.health = WalArchiveHealth(db)

    def run(self) -> None:
        """One round over every archiving instance, then the sweep of orphaned WAL."""
        for target in self.targets():
            problem: str | None = None
            try:
                self.ship(target)
            except Exception as exc:  # one instance's failure never stops the others
                log.warning("WAL shipping of %s failed: %s", target.instance_id, exc)
                problem = f"the archived WAL could not be shipped to the backup store: {exc}"
            try:
                self.check_health(target.instance_id, problem)
            except Exception as exc:
                log.warning("WAL archive health of %s: %s", target.instance_id, exc)
        try:
            self.sweep()
        except Exception as exc:
            log.warning("WAL sweep failed: %s", exc)

    def check_health(self, instance_id: str, shipping_problem: str | None) -> str | None:
        """The instance's WAL archive problem now; an event when it starts and when it ends
        (`WalArchiveHealth.check`)."""
        return self.health.check(instance_id, shipping_problem)

    def targets(self) -> list[GuestTarget]:
        datastores = archiving_datastores()
        if not datastores:
            return []
        with self.db.read() as s:
            rows = s.execute(
                select(Instance.id, Port.address)
                .join(Port, (Port.instance_id == Instance.id) & (Port.role == "management"))
                .where(
                    Instance.deleted_at.is_(None),
                    Instance.status.in_(SHIPPED_STATUSES),
                    Instance.datastore.in_(datastores),
                )
            ).all()
        return [GuestTarget(instance_id, address) for instance_id, address in rows]

    def ship(self, target: GuestTarget) -> ShipResult:
        """Store, record and acknowledge every file spooled on `target`."""
        guest = self.drivers.guest
        spooled = guest.wal_segments(target)
        if not spooled:
            return ShipResult(0, 0)
        with self.db.read() as s:
            known = wal.names(s, target.instance_id)
        shipped = 0
        for segment in spooled:
            if segment.name not in known:
                self._store(target, segment)
                shipped += 1
            guest.acknowledge_wal_segment(target, segment.name)
        if shipped:
            log.info("shipped %d WAL file(s) of %s", shipped, target.instance_id)
        return ShipResult(shipped, len(spooled))

    def _store(self, target: GuestTarget, segment: WalSegment) -> None:
        data = self.drivers.guest.wal_segment(target, segment.name)
        key = wal.object_key(target.instance_id, segment.name)
        master = self.keys.current()
        trailer = BackupTrailer(
            kind=BackupKind.INCREMENTAL, engine="wal", checkpoint="", data_bytes=len(data)
        )
        stored, _ = store_backup(
            BackupSource(iter([data]), lambda: trailer),
            open_object_store(self.settings),
            key,
            master,
        )
        last = segment.last_commit_at
        ended = None if last is None else last.astimezone(UTC).replace(tzinfo=None)
        with self.db.write() as s:
            wal.record(
                s,
                target.instance_id,
                segment.name,
                size_bytes=len(data),
                stored_bytes=stored.size,
                checksum=stored.sha256,
                location=stored.key,
                key_id=master.key_id,
                ended_at=ended,
            )

    def sweep(self) -> int:
        """Remove the WAL of deleted instances that have no backup left, and the files of live
        instances that no restore can use (`wal.unneeded`); how many files."""
        with self.db.read() as s:
            orphaned = wal.orphaned_instances(s)
            doomed = [(i, row.name, row.location) for i in orphaned for row in wal.segments(s, i)]
            grace = utcnow() - timedelta(seconds=UNNEEDED_GRACE_SECONDS)
            doomed += [(r.instance_id, r.name, r.location) for r in wal.unneeded(s, grace)]
        if not doomed:
            return 0
        store = open_object_store(self.settings)
        for instance_id, name, location in doomed:
            store.delete(location)
            with self.db.write() as s:
                wal.drop(s, instance_id, name)
        log.info("removed %d archived WAL file(s) of deleted instances", len(doomed))
        return len(doomed)
