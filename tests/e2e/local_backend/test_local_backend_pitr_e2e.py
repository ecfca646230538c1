"""Continuous WAL archiving and point-in-time restore of a real PostgreSQL instance through
the Trove API on the local backend: a full backup, rows committed at known times t1 < t2 < t3,
an incremental (a point in the WAL: the engine closes the WAL file, the worker's shipper
stores it), then a restore to a time between t2 and t3 has exactly rows 1 and 2 (real login),
a restore of the incremental has all three, and a time outside the range is a 400 naming it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from local_backend_harness import LocalRun, local_settings

from strongroom.config.settings import BackupSettings, WalArchiveSettings
from strongroom.store import wal
from strongroom.worker.service import Worker
from strongroom.worker.wal_shipper import WalShipper
from tests.support.controlplane import ControlPlane, Tenant
from tests.support.datastore_clients import POSTGRESQL

pytestmark = pytest.mark.e2e

USER, PASSWORD, DATABASE = "app", "S3cret-pass", "shop"
CREATE: dict[str, Any] = {
    "instance": {
        "name": "pitr-source",
        "flavorRef": "sr.tiny",
        "volume": {"size": 1, "type": None},
        "datastore": {"type": "postgresql", "version": "15"},
        "databases": [{"name": DATABASE}],
        "users": [{"name": USER, "password": PASSWORD, "databases": [{"name": DATABASE}]}],
        "access": {"is_public": True},
    }
}
TIMEOUT = 180.0


@pytest.fixture(scope="module")
def plane(local_run: LocalRun) -> Iterator[ControlPlane]:
    """The local plane, its WAL shipper every second (the default is 10 s)."""
    settings = local_settings(local_run)
    backups = BackupSettings(wal=WalArchiveSettings(ship_interval_seconds=1.0))
    cp = ControlPlane(settings.model_copy(update={"backups": backups}))
    try:
        yield cp
    finally:
        cp.close()


def query(doc: dict[str, Any], statement: str) -> list[tuple[Any, ...]]:
    host = doc["addresses"][0]["address"]
    with POSTGRESQL.session(host, POSTGRESQL.port, USER, PASSWORD, DATABASE) as session:
        return session.query(statement)


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def iso(at: datetime) -> str:
    return at.isoformat() + "Z"


def api(plane: ControlPlane, demo: Tenant, method: str, path: str, body: Any = None) -> Any:
    return plane.client.request(method, plane.url(demo, path), json=body, headers=demo.headers())


def active(plane: ControlPlane, demo: Tenant, body: dict[str, Any]) -> dict[str, Any]:
    r = api(plane, demo, "POST", "instances", body)
    assert r.status_code == 200, r.text
    doc = plane.wait_status(demo, r.json()["instance"]["id"], {"ACTIVE", "ERROR"}, TIMEOUT)
    assert doc["status"] == "ACTIVE", doc
    return doc


def backup(plane: ControlPlane, demo: Tenant, body: dict[str, Any]) -> dict[str, Any]:
    r = api(plane, demo, "POST", "backups", {"backup": body})
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + TIMEOUT
    while True:
        doc: dict[str, Any] = api(plane, demo, "GET", f"backups/{r.json()['backup']['id']}").json()[
            "backup"
        ]
        if doc["status"] in ("COMPLETED", "FAILED"):
            assert doc["status"] == "COMPLETED", doc
            return doc
        assert time.monotonic() < deadline, doc
        time.sleep(0.1)


def restore_body(point: dict[str, Any]) -> dict[str, Any]:
    body = {"instance": {**CREATE["instance"], "name": "pitr-restored", "restorePoint": point}}
    del body["instance"]["databases"], body["instance"]["users"]
    return body


def restored(plane: ControlPlane, demo: Tenant, point: dict[str, Any]) -> dict[str, Any]:
    return active(plane, demo, restore_body(point))


def test_point_in_time_and_wal_point_restores_are_exact(
    plane: ControlPlane, worker: Worker, demo: Tenant
) -> None:
    started = time.monotonic()
    created: list[str] = []
    try:
        source = active(plane, demo, CREATE)
        created.append(source["id"])
        query(source, "CREATE TABLE items (id INT PRIMARY KEY, note TEXT)")
        full = backup(plane, demo, {"name": "full", "instance": source["id"]})

        marks: list[datetime] = []
        for n in (1, 2, 3):
            marks.append(now())  # before row n commits
            query(source, f"INSERT INTO items VALUES ({n}, 'row {n}')")
            time.sleep(0.4)
        between = marks[2] - (marks[2] - marks[1]) / 4  # after row 2's commit, before row 3's

        incremental = backup(
            plane, demo, {"name": "point", "instance": source["id"], "incremental": 1}
        )
        assert incremental["parent_id"] == full["id"]
        deadline = time.monotonic() + 60
        while True:  # the shipper stores the WAL file the incremental closed
            with plane.db.read() as s:
                latest = wal.latest_end(s, source["id"])
            if latest is not None and latest > marks[2]:
                break
            assert time.monotonic() < deadline, f"WAL not archived: latest {latest}"
            time.sleep(0.5)
        shown = api(plane, demo, "GET", f"instances/{source['id']}").json()["instance"]
        assert shown["latest_restorable_time"] is not None
        # Archive health through the metrics sample (pg_stat_archiver).
        shipper = WalShipper(plane.settings, plane.db, worker.drivers)
        target = next(t for t in shipper.targets() if t.instance_id == source["id"])
        engine = worker.drivers.guest.metrics(target).engine
        assert engine.wal_archive_failures_total == 0 and engine.wal_archive_pending == 0
        assert engine.wal_archived_age_seconds is not None
        assert 0 <= engine.wal_archived_age_seconds < 60

        too_late = {"backupRef": full["id"], "restore_time": iso(latest.replace(year=2099))}
        r = api(plane, demo, "POST", "instances", restore_body(too_late))
        assert r.status_code == 400, r.text
        assert "outside the restorable range" in r.json()["badRequest"]["message"]

        pitr = restored(plane, demo, {"backupRef": full["id"], "restore_time": iso(between)})
        created.append(pitr["id"])
        assert query(pitr, "SELECT id, note FROM items ORDER BY id") == [(1, "row 1"), (2, "row 2")]

        chain = restored(plane, demo, {"backupRef": incremental["id"]})
        created.append(chain["id"])
        assert query(chain, "SELECT id FROM items ORDER BY id") == [(1,), (2,), (3,)]
        # The restored instance is writable (promoted) and archives its own WAL.
        query(chain, "INSERT INTO items VALUES (4, 'after the restore')")
    finally:
        for instance_id in created:
            api(plane, demo, "DELETE", f"instances/{instance_id}")
        for instance_id in created:
            plane.wait_status(demo, instance_id, {"DELETED", "ERROR"}, timeout=TIMEOUT)
    print(f"PITR e2e: {time.monotonic() - started:.1f} s")
