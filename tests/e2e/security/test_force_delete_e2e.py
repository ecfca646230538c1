"""Force delete on the local backend: an instance whose build stopped halfway (sandbox,
ports, volume made; its job held by a worker that hangs) is force-deleted by an admin and
nothing of it is left on the host: no namespace, veth, loop device, mount, file, process or
cgroup."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from strongroom.store.database import utcnow
from strongroom.store.models import Job
from tests.e2e.local_backend.local_backend_harness import LocalRun, inventory
from tests.support.controlplane import ControlPlane

pytestmark = pytest.mark.e2e

CREATE = {
    "instance": {
        "name": "halfway",
        "flavorRef": "sr.tiny",
        "volume": {"size": 1},
        "datastore": {"type": "mariadb", "version": "10.11"},
        "access": {"is_public": True},
    }
}


def _create_job(plane: ControlPlane, instance_id: str) -> Job:
    with plane.db.read() as s:
        query = select(Job).where(Job.resource_id == instance_id, Job.workflow == "create_instance")
        return s.scalars(query).one()


def test_force_delete_of_a_half_built_instance_leaves_nothing(
    plane: ControlPlane, local_run: LocalRun
) -> None:
    demo = plane.tenant("demo", "demo", "member")
    admin = plane.tenant("admin", "root", "admin")
    r = plane.client.post(plane.url(demo, "instances"), json=CREATE, headers=demo.headers())
    assert r.status_code == 200, r.text
    instance_id = r.json()["instance"]["id"]

    with plane.worker():  # build until the volume exists, then stop the worker
        deadline = time.monotonic() + 60
        while _create_job(plane, instance_id).step_index < 4:
            assert time.monotonic() < deadline, "the build never got halfway"
            time.sleep(0.05)
    made = inventory(local_run).instance_leftovers()
    assert made.get("netns") and made.get("mounts"), made
    with plane.db.write() as s:  # as if its worker hung holding the job
        job = s.get_one(Job, _create_job(plane, instance_id).id)
        job.state, job.lease_owner = "running", "a-worker-that-hangs"
        job.lease_expires_at = utcnow() + timedelta(hours=1)

    url = plane.url(admin, f"mgmt/instances/{instance_id}/action")
    r = plane.client.post(url, json={"force_delete": {}}, headers=admin.headers())
    assert r.status_code == 202, r.text
    with plane.worker():
        plane.wait_status(demo, instance_id, {"DELETED"}, timeout=60)
    assert _create_job(plane, instance_id).state == "cancelled"
    assert inventory(local_run).instance_leftovers() == {}
