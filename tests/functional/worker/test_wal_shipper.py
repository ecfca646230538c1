"""The WAL shipper on the fake backend with the real pipeline into the local object store:
spooled WAL files of a PostgreSQL instance are stored (encrypted, checksummed), recorded and
acknowledged; a round after a crash at any point stores nothing twice and loses nothing; a
MariaDB instance is never asked; a deleted instance's WAL stays while a backup of it exists
and goes with its last backup."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import pytest
from sqlalchemy import select

from strongroom.backups.keys import BackupKeys
from strongroom.backups.stream_pipeline import StoredBackup, open_backup
from strongroom.drivers.objectstore.registry import open_object_store
from strongroom.drivers.registry import build_drivers
from strongroom.drivers.specs import GuestTarget
from strongroom.keyring import Keyring
from strongroom.store import metric_samples, wal
from strongroom.store.database import utcnow
from strongroom.store.models import Event
from strongroom.worker.wal_shipper import WalShipper
from tests.functional.api.day2_support import wait_idle
from tests.functional.api.test_backups import completed
from tests.functional.api.test_instance_lifecycle import CREATE
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.functional

PG_CREATE: dict[str, Any] = {
    "instance": {**CREATE["instance"], "datastore": {"type": "postgresql", "version": "15"}}
}


def create(plane: ControlPlane, tenant: Tenant, body: dict[str, Any]) -> str:
    r = plane.client.post(plane.url(tenant, "instances"), json=body, headers=tenant.headers())
    assert r.status_code == 200, r.text
    instance_id: str = r.json()["instance"]["id"]
    plane.wait_status(tenant, instance_id, {"ACTIVE"})
    wait_idle(plane, instance_id)
    return instance_id


def stored_files(plane: ControlPlane, instance_id: str) -> list[str]:
    root = plane.settings.backups.local_path(plane.settings.state_dir) / "wal" / instance_id
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_shipping_is_idempotent_and_only_for_archiving_datastores(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    with plane.worker():
        pg = create(plane, demo, PG_CREATE)
        maria = create(plane, demo, CREATE)
    drivers = build_drivers(plane.settings)
    shipper = WalShipper(plane.settings, plane.db, drivers)
    assert [t.instance_id for t in shipper.targets()] == [pg]  # MariaDB is never asked

    target = next(t for t in shipper.targets())
    first = drivers.guest.switch_wal(target)
    second = drivers.guest.switch_wal(target)
    expected = {
        s.name: drivers.guest.wal_segment(target, s.name)
        for s in drivers.guest.wal_segments(target)
    }
    assert sorted(expected) == [first.segment, second.segment]

    shipper.run()
    assert stored_files(plane, pg) == sorted(expected)
    assert drivers.guest.wal_segments(target) == []  # acknowledged
    keys = BackupKeys(Keyring(plane.settings.state_dir))
    store = open_object_store(plane.settings)
    with plane.db.read() as s:
        rows = {r.name: r for r in wal.segments(s, pg)}
        assert wal.latest_end(s, pg) is not None
    for name, data in expected.items():
        row = rows[name]
        assert row.size_bytes == len(data) and row.location == f"wal/{pg}/{name}"
        raw = plane.settings.backups.local_path(plane.settings.state_dir) / row.location
        assert hashlib.sha256(raw.read_bytes()).hexdigest() == row.checksum
        assert data not in raw.read_bytes()  # encrypted
        restored = b"".join(
            open_backup(store, StoredBackup(row.location, row.stored_bytes, row.checksum), keys)
        )
        assert restored == data

    # Crash after storing and recording, before the acknowledgement: the next round only
    # acknowledges (the stored object is not written again).
    third = drivers.guest.switch_wal(target)
    shipper._store(target, drivers.guest.wal_segments(target)[0])
    path = plane.settings.backups.local_path(plane.settings.state_dir) / f"wal/{pg}/{third.segment}"
    written = path.stat().st_mtime_ns
    assert shipper.ship(target).shipped == 0
    assert path.stat().st_mtime_ns == written and drivers.guest.wal_segments(target) == []

    # Crash after storing, before recording: stored again under the same key, recorded once.
    fourth = drivers.guest.switch_wal(target)
    shipper._store(target, drivers.guest.wal_segments(target)[0])
    with plane.db.write() as s:
        wal.drop(s, pg, fourth.segment)
    assert shipper.ship(target).shipped == 1
    with plane.db.read() as s:
        assert len(wal.segments(s, pg)) == 4
    assert len(stored_files(plane, pg)) == 4
    assert maria not in [t.instance_id for t in shipper.targets()]


def test_deleted_instance_keeps_wal_while_a_backup_exists(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    with plane.worker():
        pg = create(plane, demo, PG_CREATE)
        backup_id = completed(plane, demo, pg, name="full")
    drivers = build_drivers(plane.settings)
    shipper = WalShipper(plane.settings, plane.db, drivers)
    target = GuestTarget(pg, next(t for t in shipper.targets()).address)
    drivers.guest.switch_wal(target)
    shipper.run()
    assert len(stored_files(plane, pg)) == 1

    with plane.worker():
        r = plane.client.delete(plane.url(demo, f"instances/{pg}"), headers=demo.headers())
        assert r.status_code == 202, r.text
        plane.wait_status(demo, pg, {"DELETED"})
    assert shipper.sweep() == 0
    assert len(stored_files(plane, pg)) == 1  # a backup of it exists: PITR stays possible

    with plane.worker():
        r = plane.client.delete(plane.url(demo, f"backups/{backup_id}"), headers=demo.headers())
        assert r.status_code == 202, r.text
        wait_idle(plane, backup_id)
    shipper.sweep()
    assert stored_files(plane, pg) == []
    with plane.db.read() as s:
        assert wal.segments(s, pg) == []


def wal_events(plane: ControlPlane, instance_id: str) -> list[str]:
    with plane.db.read() as s:
        rows = s.scalars(
            select(Event).where(Event.instance_id == instance_id).order_by(Event.id)
        ).all()
        return [e.message for e in rows if "WAL" in e.message]


def test_archive_health_events_on_failures_and_lag(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    with plane.worker():
        pg = create(plane, demo, PG_CREATE)
    shipper = WalShipper(plane.settings, plane.db, build_drivers(plane.settings))

    def sample(**values: float) -> None:
        with plane.db.write() as s:
            metric_samples.add(s, pg, utcnow(), {"engine_up": 1.0, **values})
        time.sleep(0.01)

    sample(wal_archive_failures_total=3, wal_archive_pending=0, wal_archived_age_seconds=5)
    assert shipper.check_health(pg, None) is None  # failures before the worker started
    sample(wal_archive_failures_total=5, wal_archive_pending=1, wal_archived_age_seconds=20)
    assert "failed to archive WAL 2 time(s)" in (shipper.check_health(pg, None) or "")
    sample(wal_archive_failures_total=5, wal_archive_pending=0, wal_archived_age_seconds=30)
    assert shipper.check_health(pg, None) is None
    sample(wal_archive_failures_total=5, wal_archive_pending=4, wal_archived_age_seconds=300)
    assert "behind: 4 file(s) waiting" in (shipper.check_health(pg, None) or "")
    assert shipper.check_health(pg, None) is not None  # still behind: no second event
    sample(wal_archive_failures_total=5, wal_archive_pending=0, wal_archived_age_seconds=3)
    assert shipper.check_health(pg, "the agent cannot be reached") is not None
    assert shipper.check_health(pg, None) is None
    assert wal_events(plane, pg) == [
        "the engine failed to archive WAL 2 time(s)",
        "WAL archiving is healthy again",
        "WAL archiving is behind: 4 file(s) waiting, last archived 300 s ago",
        "WAL archiving is healthy again",
    ]


def test_wal_before_the_oldest_backup_is_removed(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    with plane.worker():
        pg = create(plane, demo, PG_CREATE)
    drivers = build_drivers(plane.settings)
    shipper = WalShipper(plane.settings, plane.db, drivers)
    target = next(t for t in shipper.targets())
    early = drivers.guest.switch_wal(target).segment
    shipper.ship(target)
    assert shipper.sweep() == 0  # no backup yet: kept for an hour
    assert stored_files(plane, pg) == [early]

    with plane.worker():
        completed(plane, demo, pg, name="full")
    later = drivers.guest.switch_wal(target).segment
    shipper.ship(target)
    shipper.sweep()  # (the worker's own round may have swept already)
    assert stored_files(plane, pg) == [later]  # stored before the full: no restore uses it
    with plane.db.read() as s:
        assert [r.name for r in wal.segments(s, pg)] == [later]
