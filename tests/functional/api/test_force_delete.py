"""Force delete (admin): `POST /mgmt/instances/{id}/action {"force_delete": {}}` deletes an
instance in any state — BUILD whose worker crashed or hangs, ERROR, DELETING with a stuck
delete — cancelling the jobs on it, and leaves nothing behind on the (fake) backend."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from strongroom.jobs.queue import JobQueue, LeaseLost
from strongroom.keyring import Keyring, SecretBox
from strongroom.store.database import utcnow
from strongroom.store.models import Instance, Job
from tests.functional.api.day2_support import active_instance, wait_idle
from tests.functional.jobs.test_worker_crash import create, kinds, ports_held, run_crashing_worker
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.functional


def _force_delete(plane: ControlPlane, tenant: Tenant, instance_id: str) -> Any:
    return plane.client.post(
        plane.url(tenant, f"mgmt/instances/{instance_id}/action"),
        json={"force_delete": {}},
        headers=tenant.headers(),
    )


def _jobs(plane: ControlPlane, instance_id: str) -> dict[str, str]:
    with plane.db.read() as s:
        rows = s.scalars(select(Job).where(Job.resource_id == instance_id).order_by(Job.created_at))
        found = [(j.workflow, j.state, j.error_code, j.error_message) for j in rows]
    jobs = {workflow: state for workflow, state, _, _ in found}
    assert len(jobs) == len(found), found
    return jobs


def _hang(plane: ControlPlane, instance_id: str) -> None:
    """The job's worker is alive but stuck: its lease will not run out for an hour."""
    with plane.db.write() as s:
        job = s.scalars(
            select(Job).where(Job.resource_id == instance_id, Job.state == "running")
        ).one()
        job.lease_expires_at = utcnow() + timedelta(hours=1)


def _gone(plane: ControlPlane, admin: Tenant, demo: Tenant, instance_id: str) -> float:
    """Run a worker until the instance is deleted; seconds it took. Nothing may be left."""
    started = time.monotonic()
    with plane.worker():
        assert plane.wait_status(demo, instance_id, {"DELETED"}, timeout=30)
        wait_idle(plane, instance_id)  # the job closes just after the record is deleted
    took = time.monotonic() - started
    assert kinds(plane, instance_id) == [], "fake infrastructure left behind"
    assert ports_held(plane, instance_id) == 0
    with plane.db.read() as s:
        row = s.get(Instance, instance_id)
        assert row is not None and row.deleted_at is not None
    listed = plane.client.get(plane.url(admin, "mgmt/instances"), headers=admin.headers())
    assert instance_id not in listed.text
    return took


@pytest.mark.parametrize("worker", ["crashed", "hung"])
def test_force_delete_of_an_instance_whose_build_worker_died_or_hangs(
    plane: ControlPlane, tmp_path: Path, worker: str
) -> None:
    demo = plane.tenant("demo", "demo", "member")
    admin = plane.tenant("admin", "root", "admin")
    instance_id = create(plane, demo)
    run_crashing_worker(plane, tmp_path, after=4)  # sandbox, ports and volume exist by then
    assert kinds(plane, instance_id), "the crashed build left infrastructure to clean"
    if worker == "hung":
        _hang(plane, instance_id)
    assert _force_delete(plane, demo, instance_id).status_code == 403, "admins only"
    r = _force_delete(plane, admin, instance_id)
    assert r.status_code == 202, r.text
    shown = plane.client.get(plane.url(demo, f"instances/{instance_id}"), headers=demo.headers())
    assert shown.json()["instance"]["status"] == "SHUTDOWN"  # DELETING, as Trove shows it

    took = _gone(plane, admin, demo, instance_id)
    assert took < plane.settings.worker.lease_seconds + 8, f"force delete took {took:.1f} s"
    jobs = _jobs(plane, instance_id)
    assert jobs == {"create_instance": "cancelled", "force_delete_instance": "succeeded"}, jobs
    with plane.db.read() as s:
        create_job = s.scalars(select(Job).where(Job.workflow == "create_instance")).one()
        assert create_job.sealed_secrets is None, "the cancelled job's secrets are erased"
        owner = create_job.lease_owner
    if owner is not None:  # the old worker can no longer write anything
        box = SecretBox(Keyring(plane.settings.state_dir).fernet_key("job-secrets"))
        with pytest.raises(LeaseLost):
            JobQueue(plane.db, box).checkpoint(
                create_job.id, owner, direction="do", step_index=9, context={}
            )
    events = plane.client.get(
        plane.url(admin, f"mgmt/instances/{instance_id}"), headers=admin.headers()
    )
    assert events.status_code == 200
    assert _force_delete(plane, admin, instance_id).status_code == 404


def test_force_delete_of_an_instance_in_error_and_of_a_stuck_delete(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    admin = plane.tenant("admin", "root", "admin")
    with plane.worker():
        broken, stuck = active_instance(plane, demo), active_instance(plane, demo)
        wait_idle(plane, broken)
        wait_idle(plane, stuck)
    with plane.db.write() as s:
        row = s.get(Instance, broken)
        assert row is not None
        row.status = "ERROR"
    r = plane.client.delete(plane.url(demo, f"instances/{stuck}"), headers=demo.headers())
    assert r.status_code == 202
    box = SecretBox(Keyring(plane.settings.state_dir).fernet_key("job-secrets"))
    claimed = JobQueue(plane.db, box).claim("a-worker-that-hangs", lease_seconds=3600)
    assert claimed is not None and claimed.workflow == "delete_instance"
    again = plane.client.delete(plane.url(demo, f"instances/{stuck}"), headers=demo.headers())
    assert again.status_code == 409, "a user's second delete is refused"

    for instance_id in (broken, stuck):
        assert _force_delete(plane, admin, instance_id).status_code == 202
    for instance_id in (broken, stuck):
        _gone(plane, admin, demo, instance_id)
    assert _jobs(plane, stuck)["delete_instance"] == "cancelled"
    bad = plane.client.post(
        plane.url(admin, f"mgmt/instances/{broken}/action"),
        json={"force_delete": {}, "reset_status": {}},
        headers=admin.headers(),
    )
    assert bad.status_code == 400 and "force_delete" in bad.text


def test_trove_reset_status_then_delete_is_a_force_delete(
    plane: ControlPlane, tmp_path: Path
) -> None:
    """What `openstack database instance delete --force` sends: reset_status on the instance
    path (admin: ERROR now, its jobs cancelled), then an ordinary delete."""
    demo = plane.tenant("demo", "demo", "member")
    reader = plane.tenant("demo", "rita", "reader")
    admin = plane.tenant("admin", "root", "admin")
    instance_id = create(plane, demo)
    run_crashing_worker(plane, tmp_path, after=4)
    _hang(plane, instance_id)

    def reset(who: Tenant) -> Any:
        url = plane.url(who, f"instances/{instance_id}/action")
        return plane.client.post(url, json={"reset_status": {}}, headers=who.headers())

    assert reset(demo).json()["forbidden"]["message"] == (
        "Policy doesn't allow instance:reset_status to be performed."
    )
    assert reset(reader).status_code == 403
    assert reset(admin).status_code == 202
    shown = plane.client.get(plane.url(demo, f"instances/{instance_id}"), headers=demo.headers())
    assert shown.json()["instance"]["status"] == "ERROR"
    assert "reset to ERROR by an administrator" in shown.json()["instance"]["fault"]["message"]
    r = plane.client.delete(plane.url(admin, f"instances/{instance_id}"), headers=admin.headers())
    assert r.status_code == 202
    took = _gone(plane, admin, demo, instance_id)
    assert took < 15, f"the delete waited {took:.1f} s"
    assert _jobs(plane, instance_id) == {
        "create_instance": "cancelled",
        "delete_instance": "succeeded",
    }
