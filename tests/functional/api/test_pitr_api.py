"""Point-in-time restore through the API on the fake backend (the real recovery is in the
local-backend e2e test): `latest_restorable_time` on instances whose datastore archives WAL,
`restorePoint.restore_time` validated against the restorable range (400 naming it), refused
for a datastore without WAL archiving, and a WAL-point incremental refused (409) until the
WAL up to it is archived."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from strongroom.drivers.registry import build_drivers
from strongroom.worker.wal_shipper import WalShipper
from tests.functional.api.day2_support import wait_idle
from tests.functional.api.test_backups import completed
from tests.functional.api.test_instance_lifecycle import CREATE
from tests.functional.worker.test_wal_shipper import PG_CREATE, create
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.functional


def show(plane: ControlPlane, tenant: Tenant, instance_id: str) -> dict[str, Any]:
    r = plane.client.get(plane.url(tenant, f"instances/{instance_id}"), headers=tenant.headers())
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()["instance"]
    return doc


def restore(plane: ControlPlane, tenant: Tenant, point: dict[str, Any]) -> Any:
    body = {"instance": {**PG_CREATE["instance"], "name": "restored", "restorePoint": point}}
    del body["instance"]["databases"], body["instance"]["users"]
    return plane.client.post(plane.url(tenant, "instances"), json=body, headers=tenant.headers())


def ship(plane: ControlPlane, instance_id: str) -> datetime:
    """One WAL file switched and shipped; its last commit time (naive UTC)."""
    drivers = build_drivers(plane.settings)
    shipper = WalShipper(plane.settings, plane.db, drivers)
    target = next(t for t in shipper.targets() if t.instance_id == instance_id)
    at = drivers.guest.switch_wal(target).at
    shipper.ship(target)
    return at.replace(tzinfo=None)


def iso(at: datetime) -> str:
    return at.isoformat() + "Z"


def test_restore_time_is_validated_and_latest_restorable_time_shown(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    with plane.worker():
        pg = create(plane, demo, PG_CREATE)
        maria = create(plane, demo, CREATE)
        assert show(plane, demo, pg)["latest_restorable_time"] is None
        assert "latest_restorable_time" not in show(plane, demo, maria)
        full = completed(plane, demo, pg, name="full")
        maria_full = completed(plane, demo, maria, name="mfull")

        # Nothing archived after the backup yet: no valid time at all.
        r = restore(plane, demo, {"backupRef": full, "restore_time": iso(datetime.utcnow())})
        assert r.status_code == 400 and "none yet" in r.text, r.text

        latest = ship(plane, pg)
        shown = show(plane, demo, pg)["latest_restorable_time"]
        assert shown == latest.strftime("%Y-%m-%dT%H:%M:%S")

        for bad in (latest + timedelta(seconds=5), latest - timedelta(hours=1)):
            r = restore(plane, demo, {"backupRef": full, "restore_time": iso(bad)})
            assert r.status_code == 400, r.text
            assert "outside the restorable range" in r.json()["badRequest"]["message"]
        r = restore(plane, demo, {"backupRef": full, "restore_time": "yesterday"})
        assert r.status_code == 400 and "ISO-8601" in r.text
        body = {"backupRef": maria_full, "restore_time": iso(latest)}
        r = restore(plane, demo, body)
        assert r.status_code == 400 and "archives its WAL" in r.text, r.text

        r = restore(plane, demo, {"backupRef": full, "restore_time": iso(latest)})
        assert r.status_code == 200, r.text
        new = r.json()["instance"]["id"]
        assert plane.wait_status(demo, new, {"ACTIVE", "ERROR"})["status"] == "ACTIVE"
        wait_idle(plane, new)


def test_wal_point_incremental_waits_for_its_wal(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    with plane.worker():
        pg = create(plane, demo, PG_CREATE)
        completed(plane, demo, pg, name="full")
        incremental = completed(plane, demo, pg, name="incr", incremental=1)
        r = restore(plane, demo, {"backupRef": incremental})
        assert r.status_code == 409 and "not archived yet" in r.text, r.text
        ship(plane, pg)
        r = restore(plane, demo, {"backupRef": incremental})
        assert r.status_code == 200, r.text
        new = r.json()["instance"]["id"]
        assert plane.wait_status(demo, new, {"ACTIVE", "ERROR"})["status"] == "ACTIVE"
        wait_idle(plane, new)


def test_point_in_time_restore_from_a_deleted_instances_backup(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    with plane.worker():
        pg = create(plane, demo, PG_CREATE)
        full = completed(plane, demo, pg, name="full")
        latest = ship(plane, pg)
        r = plane.client.delete(plane.url(demo, f"instances/{pg}"), headers=demo.headers())
        assert r.status_code == 202, r.text
        plane.wait_status(demo, pg, {"DELETED"})
        r = restore(plane, demo, {"backupRef": full, "restore_time": iso(latest)})
        assert r.status_code == 200, r.text
        new = r.json()["instance"]["id"]
        assert plane.wait_status(demo, new, {"ACTIVE", "ERROR"})["status"] == "ACTIVE"
        wait_idle(plane, new)
