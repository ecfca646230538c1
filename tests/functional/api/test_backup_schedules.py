"""Backup schedules (extension): the API, and the worker's duty taking fulls and incrementals
when due and deleting the scheduled chains past the retention (manual backups are kept)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from strongroom.jobs.queue import JobQueue
from strongroom.keyring import Keyring, SecretBox
from strongroom.services.backup_schedules import BackupScheduler
from strongroom.store.database import utcnow
from strongroom.store.models import BackupSchedule
from tests.functional.api.day2_support import active_instance, events, wait_idle
from tests.functional.api.test_backups import completed, objects
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.functional


def listed(plane: ControlPlane, tenant: Tenant, instance_id: str) -> list[dict[str, Any]]:
    url = plane.url(tenant, f"instances/{instance_id}/backups")
    backups: list[dict[str, Any]] = plane.client.get(url, headers=tenant.headers()).json()[
        "backups"
    ]
    return backups


def scheduler(plane: ControlPlane) -> BackupScheduler:
    box = SecretBox(Keyring(plane.settings.state_dir).fernet_key("job-secrets"))
    return BackupScheduler(plane.settings, plane.db, JobQueue(plane.db, box))


def test_schedule_api_refuses_bad_input(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    with plane.worker():
        instance_id = active_instance(plane, demo)
    url = plane.url(demo, f"instances/{instance_id}/backup-schedule")
    assert plane.client.get(url, headers=demo.headers()).status_code == 404
    for fields in (
        {},
        {"daily_at": "25:00"},
        {"daily_at": "02:30", "every_hours": 2},
        {"every_hours": 0},
        {"every_hours": 2, "keep_fulls": 2, "keep_days": 3},
        {"every_hours": 2, "keep_fulls": 0},
        {"every_hours": 2, "full_every": 0},
        {"every_hours": "2"},
    ):
        body = {"backup_schedule": fields}
        r = plane.client.put(url, json=body, headers=demo.headers())
        assert r.status_code == 400 and "badRequest" in r.json(), (fields, r.text)
    body = {"backup_schedule": {"daily_at": "02:30", "keep_days": 7}}
    r = plane.client.put(url, json=body, headers=demo.headers())
    assert r.status_code == 200, r.text
    doc = r.json()["backup_schedule"]
    assert doc["daily_at"] == "02:30" and doc["next_run"].endswith("02:30:00")
    assert plane.client.get(url, headers=demo.headers()).json()["backup_schedule"] == doc
    assert plane.client.delete(url, headers=demo.headers()).status_code == 204
    assert plane.client.get(url, headers=demo.headers()).status_code == 404


def test_scheduled_fulls_incrementals_and_retention(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    duty = scheduler(plane)
    with plane.worker():
        instance_id = active_instance(plane, demo)
        manual = completed(plane, demo, instance_id, name="manual")
        url = plane.url(demo, f"instances/{instance_id}/backup-schedule")
        body = {"backup_schedule": {"every_hours": 1, "full_every": 2, "keep_fulls": 2}}
        assert plane.client.put(url, json=body, headers=demo.headers()).status_code == 200
        now = utcnow()
        duty.run(now)  # not due yet
        assert [b["name"] for b in listed(plane, demo, instance_id)] == ["manual"]
        for hour in range(1, 6):  # five runs: full, incr, full, incr, full
            duty.run(now + timedelta(hours=hour, minutes=1))
            wait_idle(plane, instance_id)
        scheduled = [b for b in listed(plane, demo, instance_id) if b["name"] != "manual"]
        # A manual full newer than every scheduled one does not count toward keep_fulls.
        late = completed(plane, demo, instance_id, name="manual-late")
        # The oldest chain (a full and its incremental) is past keep_fulls=2 after run 5.
        duty.run(now + timedelta(hours=5, minutes=2))
        for b in scheduled:
            wait_idle(plane, b["id"])
        left = listed(plane, demo, instance_id)
    names = [b["name"] for b in left]
    assert len(scheduled) == 5 and all(b["status"] == "COMPLETED" for b in scheduled)
    kinds = ["incr" if b["parent_id"] else "full" for b in reversed(scheduled)]
    assert kinds == ["full", "incr", "full", "incr", "full"]
    assert [b["id"] for b in left] == [late] + [b["id"] for b in scheduled[:3]] + [manual], names
    assert len(objects(plane)) == 5
    assert any("backup schedule: every 1 h" in e for e in events(plane, instance_id))


def test_a_schedule_of_a_deleted_instance_goes(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    duty = scheduler(plane)
    with plane.worker():
        instance_id = active_instance(plane, demo)
        url = plane.url(demo, f"instances/{instance_id}/backup-schedule")
        body = {"backup_schedule": {"every_hours": 1}}
        assert plane.client.put(url, json=body, headers=demo.headers()).status_code == 200
        plane.client.delete(plane.url(demo, f"instances/{instance_id}"), headers=demo.headers())
        plane.wait_status(demo, instance_id, {"DELETED"})
    duty.run(utcnow() + timedelta(hours=2))
    with plane.db.read() as s:
        assert s.get(BackupSchedule, instance_id) is None


def test_keep_days_expires_old_chains(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    duty = scheduler(plane)
    with plane.worker():
        instance_id = active_instance(plane, demo)
        url = plane.url(demo, f"instances/{instance_id}/backup-schedule")
        body = {"backup_schedule": {"every_hours": 1, "keep_days": 1}}
        assert plane.client.put(url, json=body, headers=demo.headers()).status_code == 200
        now = utcnow()
        duty.run(now + timedelta(hours=1, minutes=1))
        wait_idle(plane, instance_id)
        (old,) = listed(plane, demo, instance_id)
        duty.run(now + timedelta(days=2))  # a new backup is due, the old chain is 2 days old
        wait_idle(plane, instance_id)
        wait_idle(plane, old["id"])
        left = listed(plane, demo, instance_id)
    assert len(left) == 1 and left[0]["id"] != old["id"] and left[0]["status"] == "COMPLETED"
    assert len(objects(plane)) == 1
