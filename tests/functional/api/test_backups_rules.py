"""What the backup API refuses and how backups fail: bad input (4xx, nothing written), an
instance that is not ACTIVE, a backup already running, the quota (also under concurrent
requests), deletion protection, a final backup before a delete, a failing engine and a worker
killed mid-backup (FAILED, no object), a corrupted object (restore refused: ERROR)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from strongroom.config.settings import FakeDriverSettings
from strongroom.store.models import Backup
from tests.functional.api.day2_support import active_instance, engine, events, wait_idle
from tests.functional.api.test_backups import backup, completed, objects, wait_backup
from tests.functional.api.test_instance_lifecycle import CREATE
from tests.functional.jobs.test_worker_crash import run_crashing_worker
from tests.support.controlplane import ControlPlane, make_settings

pytestmark = pytest.mark.functional


def rows(plane: ControlPlane) -> int:
    with plane.db.read() as s:
        return int(s.scalar(select(func.count(Backup.id))) or 0)


def restore_body(backup_id: str, **extra: Any) -> dict[str, Any]:
    fields = {k: v for k, v in CREATE["instance"].items() if k not in ("databases", "users")}
    return {
        "instance": {
            **fields,
            "name": "restored",
            **extra,
            "restorePoint": {"backupRef": backup_id},
        }
    }


def test_bad_requests_write_nothing(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    reader = plane.tenant("demo", "reader", "reader")
    other = plane.tenant("other", "other", "member")
    with plane.worker():
        source = active_instance(plane, demo)
        foreign = active_instance(plane, other)
        foreign_backup = completed(plane, other, foreign)
    before = rows(plane)
    url = plane.url(demo, "backups")
    cases: list[tuple[Any, int]] = [
        ({}, 400),
        ({"backup": {"instance": source}}, 400),  # no name
        ({"backup": {"name": "b"}}, 400),  # no instance
        ({"backup": {"name": "", "instance": source}}, 400),
        ({"backup": {"name": "b" * 256, "instance": source}}, 400),
        ({"backup": {"name": 7, "instance": source}}, 400),
        ({"backup": {"name": "b", "instance": source, "incremental": 2}}, 400),
        ({"backup": {"name": "b", "instance": "nope"}}, 404),
        ({"backup": {"name": "b", "instance": foreign}}, 404),
        ({"backup": {"name": "b", "instance": source, "parent_id": "nope"}}, 404),
        ({"backup": {"name": "b", "instance": source, "parent_id": foreign_backup}}, 404),
        ([1, 2], 400),
    ]
    for body, status in cases:
        r = plane.client.post(url, json=body, headers=demo.headers())
        assert r.status_code == status, (body, r.text)
        assert set(r.json()) <= {"badRequest", "itemNotFound"}, r.text
    r = plane.client.post(
        url, json={"backup": {"name": "b", "instance": source}}, headers=reader.headers()
    )
    assert r.status_code == 403
    for path in ("backups/nope", f"backups/{foreign_backup}"):
        assert plane.client.get(plane.url(demo, path), headers=demo.headers()).status_code == 404
        assert plane.client.delete(plane.url(demo, path), headers=demo.headers()).status_code == 404
    r = plane.client.get(url, params={"instance_id": foreign}, headers=demo.headers())
    assert r.status_code == 200 and r.json() == {"backups": []}  # nothing of another project
    foreign_path = plane.url(demo, f"instances/{foreign}/backups")
    assert plane.client.get(foreign_path, headers=demo.headers()).status_code == 404
    assert rows(plane) == before


def test_conflicts_and_quota(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    admin = plane.tenant("admin", "admin", "admin")
    with plane.worker():
        first = active_instance(plane, demo)
        second = active_instance(plane, demo)
    # No worker now: a requested backup stays NEW.
    building = plane.client.post(plane.url(demo, "instances"), json=CREATE, headers=demo.headers())
    r = backup(plane, demo, building.json()["instance"]["id"])
    assert r.status_code == 409 and "ACTIVE" in r.json()["conflictingRequest"]["message"]
    pending = backup(plane, demo, first).json()["backup"]["id"]
    r = backup(plane, demo, first)
    assert r.status_code == 409 and "in progress" in r.text
    r = plane.client.delete(plane.url(demo, f"backups/{pending}"), headers=demo.headers())
    assert r.status_code == 409

    quota_url = plane.url(admin, f"mgmt/quotas/{demo.project_id}")
    body = {"quotas": {"backups": 2}}
    assert plane.client.put(quota_url, json=body, headers=admin.headers()).status_code == 200
    answers: list[int] = []

    def request(instance_id: str) -> None:
        answers.append(backup(plane, demo, instance_id).status_code)

    threads = [threading.Thread(target=request, args=(i,)) for i in (second, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [202, 409]  # one per instance at a time
    r = backup(plane, demo, second)
    assert r.status_code in (409, 413)
    with plane.worker():
        wait_idle(plane, first)
        wait_idle(plane, second)
        r = backup(plane, demo, second)
        assert r.status_code == 413 and "overLimit" in r.json(), r.text
    assert rows(plane) == 2
    limits = plane.client.get(plane.url(demo, "limits"), headers=demo.headers()).json()
    assert limits["limits"][0]["backups_used"] == 2


def test_deletion_protection_and_final_backup(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    with plane.worker():
        body = {"instance": {**CREATE["instance"], "deletion_protection": True}}
        r = plane.client.post(plane.url(demo, "instances"), json=body, headers=demo.headers())
        instance_id = r.json()["instance"]["id"]
        doc = plane.wait_status(demo, instance_id, {"ACTIVE"})
        assert doc["deletion_protection"] is True
        url = plane.url(demo, f"instances/{instance_id}")
        r = plane.client.delete(url, headers=demo.headers())
        assert r.status_code == 409 and "deletion protection" in r.text
        r = plane.client.delete(url, params={"final_backup": "true"}, headers=demo.headers())
        assert r.status_code == 409 and rows(plane) == 0
        off = {"instance": {"deletion_protection": False}}
        assert plane.client.put(url, json=off, headers=demo.headers()).status_code == 202
        assert (
            plane.client.get(url, headers=demo.headers()).json()["instance"]["deletion_protection"]
            is False
        )

        r = plane.client.delete(url, params={"final_backup": "true"}, headers=demo.headers())
        assert r.status_code == 202
        assert plane.wait_status(demo, instance_id, {"DELETED"})["status"] == "DELETED"
        (final,) = plane.client.get(plane.url(demo, "backups"), headers=demo.headers()).json()[
            "backups"
        ]
        assert final["status"] == "COMPLETED" and final["name"] == "final-db1"
        by_instance = plane.client.get(
            plane.url(demo, "backups"), params={"instance_id": instance_id}, headers=demo.headers()
        )
        assert [b["id"] for b in by_instance.json()["backups"]] == [final["id"]]
        # The final backup of a deleted instance restores.
        r = plane.client.post(
            plane.url(demo, "instances"), json=restore_body(final["id"]), headers=demo.headers()
        )
        assert r.status_code == 200, r.text
        restored = plane.wait_status(demo, r.json()["instance"]["id"], {"ACTIVE", "ERROR"})
        assert restored["status"] == "ACTIVE", restored


def test_restore_refusals(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    with plane.worker():
        source = active_instance(plane, demo)
        backup_id = completed(plane, demo, source)
    url = plane.url(demo, "instances")
    cases: list[tuple[dict[str, Any], int, str]] = [
        (restore_body("nope"), 404, "could not be found"),
        (restore_body(backup_id, datastore={"type": "postgresql"}), 400, "datastore mariadb"),
        (restore_body(backup_id, datastore={"type": "mariadb", "version": "9"}), 400, "10.11"),
        (restore_body(backup_id, databases=[{"name": "x"}]), 400, "from the backup"),
        ({"instance": {**CREATE["instance"], "restorePoint": {}}}, 400, "backupRef"),
    ]
    for body, status, words in cases:
        r = plane.client.post(url, json=body, headers=demo.headers())
        assert r.status_code == status and words in r.text, (body, r.text)
    listed = plane.client.get(url, headers=demo.headers()).json()["instances"]
    assert len(listed) == 1
    # No worker: the restore stays queued, and its backup cannot be deleted meanwhile.
    r = plane.client.post(url, json=restore_body(backup_id), headers=demo.headers())
    assert r.status_code == 200, r.text
    r = plane.client.delete(plane.url(demo, f"backups/{backup_id}"), headers=demo.headers())
    assert r.status_code == 409 and "being restored" in r.text


def test_corrupted_object_fails_the_restore(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    with plane.worker():
        source = active_instance(plane, demo)
        backup_id = completed(plane, demo, source)
        root = plane.settings.backups.local_path(plane.settings.state_dir)
        (stored,) = list(root.rglob(f"{backup_id}.srbk"))
        stored.write_bytes(stored.read_bytes()[:-10])  # truncated
        r = plane.client.post(
            plane.url(demo, "instances"), json=restore_body(backup_id), headers=demo.headers()
        )
        doc = plane.wait_status(demo, r.json()["instance"]["id"], {"ACTIVE", "ERROR"})
    assert doc["status"] == "ERROR"
    assert "wrong size" in doc["fault"]["message"], doc["fault"]


@pytest.fixture
def failing_plane(tmp_path: Path, control_db_url: str) -> Any:
    fake = FakeDriverSettings(fail_in="guest.backup")
    cp = ControlPlane(make_settings(tmp_path / "state", control_db_url, fake=fake))
    try:
        yield cp
    finally:
        cp.close()


def test_a_failing_engine_ends_failed_with_no_object(failing_plane: ControlPlane) -> None:
    plane = failing_plane
    demo = plane.tenant("demo", "demo", "member")
    with plane.worker():
        source = active_instance(plane, demo)
        r = backup(plane, demo, source, name="doomed")
        doc = wait_backup(plane, demo, r.json()["backup"]["id"], timeout=60)
        assert doc["status"] == "FAILED"
        assert doc["fault"]["message"].startswith("the backup failed: the fake guest.backup")
        assert plane.wait_status(demo, source, {"ACTIVE"})["status"] == "ACTIVE"
    assert objects(plane) == []
    assert any("doomed" in e and "failed" in e for e in events(plane, source))
    # A FAILED backup cannot be restored, and can be deleted.
    r = plane.client.post(
        plane.url(demo, "instances"), json=restore_body(doc["id"]), headers=demo.headers()
    )
    assert r.status_code == 400
    url = plane.url(demo, f"backups/{doc['id']}")
    assert plane.client.delete(url, headers=demo.headers()).status_code == 202


def test_a_worker_killed_mid_backup_leaves_failed_and_no_object(
    plane: ControlPlane, tmp_path: Path
) -> None:
    demo = plane.tenant("demo", "demo", "member")
    with plane.worker():
        source = active_instance(plane, demo)
    backup_id = backup(plane, demo, source).json()["backup"]["id"]
    run_crashing_worker(plane, tmp_path, inside="guest.backup")
    with plane.worker():
        doc = wait_backup(plane, demo, backup_id, timeout=60)
        assert doc["status"] == "FAILED" and "mid-stream" in doc["fault"]["message"], doc
        assert plane.wait_status(demo, source, {"ACTIVE"})["status"] == "ACTIVE"
        assert objects(plane) == []
        completed(plane, demo, source)  # the next backup works


def test_a_worker_killed_inside_a_restore_is_resumed(plane: ControlPlane, tmp_path: Path) -> None:
    demo = plane.tenant("demo", "demo", "member")
    with plane.worker():
        source = active_instance(plane, demo)
        backup_id = completed(plane, demo, source)
    r = plane.client.post(
        plane.url(demo, "instances"), json=restore_body(backup_id), headers=demo.headers()
    )
    restored = r.json()["instance"]["id"]
    run_crashing_worker(plane, tmp_path, inside="guest.restore")
    with plane.worker():
        doc = plane.wait_status(demo, restored, {"ACTIVE", "ERROR"}, timeout=60)
    assert doc["status"] == "ACTIVE", doc
    assert set(engine(plane, restored)["databases"]) == {"app"}


def test_backup_storage_quota_in_gib(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    admin = plane.tenant("admin", "admin", "admin")
    quota_url = plane.url(admin, f"mgmt/quotas/{demo.project_id}")
    with plane.worker():
        source = active_instance(plane, demo)
        completed(plane, demo, source)
        body = {"quotas": {"backup_gigabytes": 0}}
        assert plane.client.put(quota_url, json=body, headers=admin.headers()).status_code == 200
        r = backup(plane, demo, source)
        assert r.status_code == 413 and "backup storage" in r.text, r.text
        body = {"quotas": {"backup_gigabytes": 1}}
        assert plane.client.put(quota_url, json=body, headers=admin.headers()).status_code == 200
        completed(plane, demo, source)
    shown = plane.client.get(quota_url, headers=admin.headers()).json()["quotas"]
    storage = {q["resource"]: q for q in shown}["backup_gigabytes"]
    assert storage["limit"] == 1 and storage["in_use"] == 1  # a few KiB, rounded up
    assert rows(plane) == 2
