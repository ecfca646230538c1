"""The health manager turns what agents say into operating_status and events."""

from __future__ import annotations

import time

import pytest

from strongroom.config.settings import WorkerSettings
from strongroom.drivers.fake.world import FakeWorld
from strongroom.drivers.registry import build_drivers
from strongroom.worker.health import HealthManager
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


def test_the_agents_crash_restarts_become_events_once(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    r = plane.client.post(plane.url(demo, "instances"), json=CREATE, headers=demo.headers())
    instance_id = r.json()["instance"]["id"]
    with plane.worker():
        plane.wait_status(demo, instance_id, {"ACTIVE"})
    reported = [
        {"at": "2026-11-25T10:00:01+00:00", "attempt": 1, "outcome": "restarted", "detail": ""},
        {"at": "2026-11-25T10:00:09+00:00", "attempt": 2, "outcome": "failed", "detail": "exit 1"},
        {
            "at": "2026-11-25T10:00:20+00:00",
            "attempt": 0,
            "outcome": "gave_up",
            "detail": "2 starts",
        },
    ]
    world = FakeWorld(plane.settings.state_dir / "fake", plane.settings.drivers.fake)
    world.put("engine-restarts", instance_id, {"restarts": reported[:1]})
    manager = HealthManager(plane.db, build_drivers(plane.settings))
    manager.run()
    manager.run()  # the agent still lists the same restart: no second event
    world.put("engine-restarts", instance_id, {"restarts": reported})
    manager.run()
    r = plane.client.get(plane.url(demo, f"instances/{instance_id}/events"), headers=demo.headers())
    messages = [e["message"] for e in r.json()["events"] if e["kind"] == "engine restart"]
    crashed = "the database engine crashed; the agent"
    assert messages == [
        f"{crashed} started it again (attempt 1, 2026-11-25 10:00:01 UTC)",
        f"{crashed}'s start attempt 2 failed: exit 1 (2026-11-25 10:00:09 UTC)",
        "the database engine keeps crashing: the agent gave up "
        "(2 starts; 2026-11-25 10:00:20 UTC); restart the instance once the cause is fixed",
    ]


def test_an_agent_that_stopped_answering_is_started_again(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    r = plane.client.post(plane.url(demo, "instances"), json=CREATE, headers=demo.headers())
    instance_id = r.json()["instance"]["id"]
    with plane.worker():
        plane.wait_status(demo, instance_id, {"ACTIVE"})
    world = FakeWorld(plane.settings.state_dir / "fake", plane.settings.drivers.fake)
    world.drop("agent", instance_id)  # the agent process died
    manager = HealthManager(plane.db, build_drivers(plane.settings))
    manager.run()
    assert world.get("agent", instance_id) is None, "one miss is not enough"
    assert operating(plane, demo, instance_id) == "UNHEALTHY"
    manager.run()
    assert world.get("agent", instance_id) is not None
    manager.run()
    assert operating(plane, demo, instance_id) == "HEALTHY"
    r = plane.client.get(plane.url(demo, f"instances/{instance_id}/events"), headers=demo.headers())
    said = [e["message"] for e in r.json()["events"] if e["kind"] == "agent"]
    assert len(said) == 1 and said[0].endswith("the worker started it again")

    world.drop("agent", instance_id)  # dies again at once: not restarted within the minute
    manager.run()
    manager.run()
    assert world.get("agent", instance_id) is None
