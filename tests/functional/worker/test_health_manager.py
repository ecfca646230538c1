"""The health manager turns what agents say into operating_status and events."""

from __future__ import annotations

import time

import pytest

from strongroom.config.settings import WorkerSettings
from tests.functional.api.test_instance_lifecycle import CREATE
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.functional


def operating(plane: ControlPlane, demo: Tenant, instance_id: str) -> str:
    r = plane.client.get(plane.url(demo, f"instances/{instance_id}"), headers=demo.headers())
    return str(r.json()["instance"]["operating_status"])


def wait_operating(plane: ControlPlane, demo: Tenant, instance_id: str, wanted: str) -> None:
    deadline = time.monotonic() + 10
    while operating(plane, demo, instance_id) != wanted:
        assert time.monotonic() < deadline, f"operating_status never became {wanted}"
        time.sleep(0.05)


def test_engine_down_and_back_is_seen_within_two_intervals(plane: ControlPlane) -> None:
    plane.settings = plane.settings.model_copy(
        update={
            "worker": WorkerSettings(lease_seconds=2, poll_seconds=0.05, health_interval_seconds=1)
        }
    )
    demo = plane.tenant("demo", "demo", "member")
    r = plane.client.post(plane.url(demo, "instances"), json=CREATE, headers=demo.headers())
    instance_id = r.json()["instance"]["id"]
    fake = plane.settings.state_dir / "fake"
    with plane.worker():
        plane.wait_status(demo, instance_id, {"ACTIVE"})
        assert operating(plane, demo, instance_id) == "HEALTHY"
        agent = fake / "agent" / f"{instance_id}.json"
        saved = agent.read_text()
        agent.unlink()  # the fake agent stops answering
        started = time.monotonic()
        wait_operating(plane, demo, instance_id, "UNHEALTHY")
        assert time.monotonic() - started < 2 * 1 + 1
        agent.write_text(saved)
        wait_operating(plane, demo, instance_id, "HEALTHY")
    r = plane.client.get(plane.url(demo, f"instances/{instance_id}/events"), headers=demo.headers())
    events = r.json()["events"]
    assert events[0]["message"] == "BUILD: the instance was requested"
    assert "ACTIVE: the instance is ready" in [e["message"] for e in events]
    messages = [e["message"] for e in events if e["kind"] == "health"]
    assert messages == [
        "UNHEALTHY: the guest agent does not answer",
        "HEALTHY: the database engine is running",
    ]
