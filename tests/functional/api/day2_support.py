"""Helpers of the day-2 functional tests: an ACTIVE fake instance, waiting for its jobs, and
the fake engine's state (what the guest was told to do)."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import func, select

from strongroom.jobs.queue import UNFINISHED
from strongroom.store.models import Event, Job
from tests.functional.api.test_instance_lifecycle import CREATE
from tests.support.controlplane import ControlPlane, Tenant


def active_instance(plane: ControlPlane, tenant: Tenant) -> str:
    """Create an instance (db `app`, user `app`) and wait until it is ACTIVE (worker running)."""
    r = plane.client.post(plane.url(tenant, "instances"), json=CREATE, headers=tenant.headers())
    assert r.status_code == 200, r.text
    instance_id: str = r.json()["instance"]["id"]
    plane.wait_status(tenant, instance_id, {"ACTIVE"})
    return instance_id


def wait_idle(plane: ControlPlane, instance_id: str, timeout: float = 20) -> None:
    """Wait until no job of the instance is pending or running."""
    deadline = time.monotonic() + timeout
    while True:
        with plane.db.read() as s:
            left = s.scalar(
                select(func.count(Job.id)).where(
                    Job.resource_id == instance_id, Job.state.in_(UNFINISHED)
                )
            )
        if not left:
            return
        assert time.monotonic() < deadline, f"jobs of {instance_id} never finished"
        time.sleep(0.05)


def engine(plane: ControlPlane, instance_id: str) -> dict[str, Any]:
    """The fake engine's record (databases, users with password digests, root, ...)."""
    path = plane.settings.state_dir / "fake" / "prepared" / f"{instance_id}.json"
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def events(plane: ControlPlane, instance_id: str) -> list[str]:
    with plane.db.read() as s:
        rows = s.scalars(select(Event).where(Event.instance_id == instance_id).order_by(Event.id))
        return [f"{e.kind}: {e.message}" for e in rows]


def stored_jobs_text(plane: ControlPlane) -> str:
    """Every job's payload and context as text, to check no secret is stored in clear."""
    with plane.db.read() as s:
        return " ".join(repr(j.payload) + repr(j.context) for j in s.scalars(select(Job)))


def count_jobs(plane: ControlPlane) -> int:
    with plane.db.read() as s:
        return int(s.scalar(select(func.count(Job.id))) or 0)
