"""Backups through the Trove API on the fake backend with the real pipeline (zstd, AES-GCM,
sha256) into the local object store: full and incremental, list filters, location only for
admins, 409s, quota, delete, and a restore into a new instance that has the data as of the
backup."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.functional.api.day2_support import active_instance, engine, wait_idle
from tests.functional.api.test_instance_lifecycle import CREATE
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.functional


def backup(
    plane: ControlPlane, tenant: Tenant, instance_id: str, name: str = "b", **extra: Any
) -> Any:
    body = {"backup": {"name": name, "instance": instance_id, **extra}}
    return plane.client.post(plane.url(tenant, "backups"), json=body, headers=tenant.headers())


def wait_backup(
    plane: ControlPlane, tenant: Tenant, backup_id: str, timeout: float = 30
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        r = plane.client.get(plane.url(tenant, f"backups/{backup_id}"), headers=tenant.headers())
        assert r.status_code == 200, r.text
        doc: dict[str, Any] = r.json()["backup"]
        if doc["status"] in ("COMPLETED", "FAILED"):
            return doc
        assert time.monotonic() < deadline, f"backup {backup_id} stuck in {doc['status']}"
        time.sleep(0.05)


def completed(plane: ControlPlane, tenant: Tenant, instance_id: str, **extra: Any) -> str:
    r = backup(plane, tenant, instance_id, **extra)
    assert r.status_code == 202, r.text
    doc = wait_backup(plane, tenant, r.json()["backup"]["id"])
    assert doc["status"] == "COMPLETED", doc
    return str(doc["id"])


def restored_instance(plane: ControlPlane, tenant: Tenant, backup_id: str, name: str) -> str:
    """A new instance restored from `backup_id` (ACTIVE), created through the API."""
    create = {"instance": {**CREATE["instance"], "name": name}}
    create["instance"].pop("databases", None)
    create["instance"].pop("users", None)
    create["instance"]["restorePoint"] = {"backupRef": backup_id}
    r = plane.client.post(plane.url(tenant, "instances"), json=create, headers=tenant.headers())
    assert r.status_code == 200, r.text
    restored = str(r.json()["instance"]["id"])
    assert plane.wait_status(tenant, restored, {"ACTIVE", "ERROR"})["status"] == "ACTIVE"
    return restored


def objects(plane: ControlPlane) -> list[str]:
    root = plane.settings.backups.local_path(plane.settings.state_dir)
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def add_database(plane: ControlPlane, tenant: Tenant, instance_id: str, name: str) -> None:
    url = plane.url(tenant, f"instances/{instance_id}/databases")
    body = {"databases": [{"name": name}]}
    assert plane.client.post(url, json=body, headers=tenant.headers()).status_code == 202
    wait_idle(plane, instance_id)


def test_full_incremental_restore_and_delete(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    with plane.worker():
        source = active_instance(plane, demo)
        r = backup(plane, demo, source, name="nightly", description="first")
        assert r.status_code == 202, r.text
        doc = r.json()["backup"]
        assert doc["status"] == "NEW" and doc["instance_id"] == source
        assert doc["datastore"]["type"] == "mariadb" and doc["locationRef"] is None
        full = wait_backup(plane, demo, doc["id"])
        assert full["status"] == "COMPLETED", full
        assert full["size_bytes"] > 0 and len(full["checksum"]) == 64
        assert full["parent_id"] is None and full["locationRef"] is None
        assert plane.wait_status(demo, source, {"ACTIVE"})["status"] == "ACTIVE"

        add_database(plane, demo, source, "later")
        incremental = completed(plane, demo, source, name="incr", incremental=1)
        shown = plane.client.get(plane.url(demo, f"backups/{incremental}"), headers=demo.headers())
        assert shown.json()["backup"]["parent_id"] == full["id"]
        add_database(plane, demo, source, "after_backups")

        # The parent of an incremental cannot go first.
        r = plane.client.delete(plane.url(demo, f"backups/{full['id']}"), headers=demo.headers())
        assert r.status_code == 409 and "conflictingRequest" in r.json(), r.text

        # Restore the chain: the new instance has the data as of the incremental.
        restored = restored_instance(plane, demo, incremental, "restored")
        assert set(engine(plane, restored)["databases"]) == {"app", "later"}
        dbs = plane.client.get(
            plane.url(demo, f"instances/{restored}/databases"), headers=demo.headers()
        ).json()["databases"]
        assert {d["name"] for d in dbs} == {"app", "later"}

        listed = plane.client.get(
            plane.url(demo, f"instances/{source}/backups"), headers=demo.headers()
        ).json()["backups"]
        assert [b["id"] for b in listed] == [incremental, full["id"]]
        assert len(objects(plane)) == 2

        for backup_id in (incremental, full["id"]):
            url = plane.url(demo, f"backups/{backup_id}")
            assert plane.client.delete(url, headers=demo.headers()).status_code == 202
            wait_idle(plane, backup_id)
            assert plane.client.get(url, headers=demo.headers()).status_code == 404
        assert objects(plane) == []


def test_location_only_for_admins_and_all_projects(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    admin = plane.tenant("admin", "admin", "admin")
    other = plane.tenant("other", "other", "member")
    with plane.worker():
        source = active_instance(plane, demo)
        backup_id = completed(plane, demo, source)
    as_admin = plane.client.get(plane.url(admin, f"backups/{backup_id}"), headers=admin.headers())
    assert as_admin.status_code == 200
    assert as_admin.json()["backup"]["locationRef"].endswith(f"{backup_id}.srbk")
    as_demo = plane.client.get(plane.url(demo, f"backups/{backup_id}"), headers=demo.headers())
    assert as_demo.json()["backup"]["locationRef"] is None
    as_other = plane.client.get(plane.url(other, f"backups/{backup_id}"), headers=other.headers())
    assert as_other.status_code == 404
    assert plane.client.get(plane.url(other, "backups"), headers=other.headers()).json() == {
        "backups": []
    }
    everyone = plane.client.get(
        plane.url(admin, "backups"), params={"all_projects": "true"}, headers=admin.headers()
    ).json()["backups"]
    assert [b["id"] for b in everyone] == [backup_id]
    refused = plane.client.get(
        plane.url(demo, "backups"), params={"all_projects": "true"}, headers=demo.headers()
    )
    assert refused.status_code == 403
    by_datastore = plane.client.get(
        plane.url(demo, "backups"), params={"datastore": "postgresql"}, headers=demo.headers()
    ).json()["backups"]
    assert by_datastore == []
