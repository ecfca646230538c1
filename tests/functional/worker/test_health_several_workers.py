"""Several workers' health duties on one control DB (SQLite and PostgreSQL): each change of an
instance's health is one event whichever worker sees it, an agent that stopped answering is
started once, at most once a minute across workers, and a restarted worker (a new manager on
the same DB) carries on where the others are."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from strongroom.drivers.fake.drivers import FakeGuest
from strongroom.drivers.fake.world import FakeWorld
from strongroom.drivers.registry import build_drivers
from strongroom.drivers.specs import GuestHealth, GuestTarget
from strongroom.store import metric_samples
from strongroom.store.database import Database, utcnow
from strongroom.store.models import Event, InstanceHealth
from strongroom.worker.health import HealthManager
from strongroom.worker.wal_archive_health import WalArchiveHealth
from tests.functional.api.test_instance_lifecycle import CREATE
from tests.functional.worker.test_wal_shipper import PG_CREATE, create
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.functional


@pytest.fixture
def worlds(plane: ControlPlane) -> FakeWorld:
    return FakeWorld(plane.settings.state_dir / "fake", plane.settings.drivers.fake)


@pytest.fixture
def databases(plane: ControlPlane) -> Iterator[list[Database]]:
    """Two workers' own connections to the one control DB."""
    opened = [Database(plane.settings.database_url()) for _ in range(2)]
    try:
        yield opened
    finally:
        for db in opened:
            db.dispose()


def said(plane: ControlPlane, instance_id: str, kind: str) -> list[str]:
    with plane.db.read() as s:
        query = select(Event.message).where(Event.instance_id == instance_id, Event.kind == kind)
        return list(s.scalars(query.order_by(Event.id)))


def built(plane: ControlPlane, body: dict[str, Any] = CREATE) -> tuple[Tenant, str]:
    """A user's instance, ACTIVE and idle (a worker ran meanwhile, and stopped)."""
    demo = plane.tenant("demo", "demo", "member")
    with plane.worker():
        return demo, create(plane, demo, body)


def managers(plane: ControlPlane, databases: list[Database]) -> list[HealthManager]:
    return [HealthManager(db, build_drivers(plane.settings)) for db in databases]


def test_two_workers_say_each_change_once_and_start_the_agent_once_a_minute(
    plane: ControlPlane, worlds: FakeWorld, databases: list[Database]
) -> None:
    _, instance_id = built(plane)
    first, second = managers(plane, databases)

    worlds.drop("agent", instance_id)  # the agent process died
    first.run()  # a miss each: the second makes two in a row
    assert worlds.get("agent", instance_id) is None
    second.run()
    assert worlds.get("agent", instance_id) is not None, "started after two misses in a row"
    first.run()
    second.run()
    assert said(plane, instance_id, "health") == [
        "UNHEALTHY: the guest agent does not answer",
        "HEALTHY: the database engine is running",
    ]
    assert len(said(plane, instance_id, "agent")) == 1

    worlds.drop("agent", instance_id)  # dies again at once
    for manager in (first, second, first, second):
        manager.run()
    restarted = HealthManager(databases[0], build_drivers(plane.settings))  # a new worker
    restarted.run()
    restarted.run()
    assert worlds.get("agent", instance_id) is None, "started again within the minute"
    assert len(said(plane, instance_id, "agent")) == 1
    assert said(plane, instance_id, "health")[-1] == "UNHEALTHY: the guest agent does not answer"

    with plane.db.write() as s:  # a minute has gone by
        s.execute(
            update(InstanceHealth)
            .where(InstanceHealth.instance_id == instance_id)
            .values(agent_started_at=utcnow() - timedelta(seconds=61))
        )
    second.run()
    assert worlds.get("agent", instance_id) is not None
    first.run()
    assert len(said(plane, instance_id, "agent")) == 2
    assert len(said(plane, instance_id, "health")) == 4


class _LockstepGuest(FakeGuest):
    """A fake agent whose health answers reach every worker at once, so that they race to
    record the same change."""

    def __init__(self, world: FakeWorld, barrier: threading.Barrier) -> None:
        super().__init__(world)
        self.barrier = barrier

    def health(self, target: GuestTarget) -> GuestHealth:
        answer = super().health(target)
        self.barrier.wait(timeout=30)
        return answer


def test_workers_racing_on_the_same_change_record_it_once(
    plane: ControlPlane, worlds: FakeWorld, databases: list[Database]
) -> None:
    _, instance_id = built(plane)
    barrier = threading.Barrier(len(databases))
    racing = []
    for db in databases:
        drivers = build_drivers(plane.settings)
        guest = _LockstepGuest(worlds, barrier)
        racing.append(HealthManager(db, dataclasses.replace(drivers, guest=guest)))
    agent = worlds.get("agent", instance_id)
    assert agent is not None

    def round_together() -> None:
        with ThreadPoolExecutor(len(racing)) as pool:
            for done in [pool.submit(m.run) for m in racing]:
                done.result()

    for _ in range(3):
        worlds.drop("agent", instance_id)
        round_together()  # both see the agent silent: one UNHEALTHY event, two misses
        worlds.put("agent", instance_id, agent)
        round_together()
    assert (
        said(plane, instance_id, "health")
        == [
            "UNHEALTHY: the guest agent does not answer",
            "HEALTHY: the database engine is running",
        ]
        * 3
    )
    # The misses of both workers count together: the agent was started once, not again
    # within the minute.
    assert len(said(plane, instance_id, "agent")) == 1


def test_wal_archive_health_is_said_once_by_several_workers(
    plane: ControlPlane, databases: list[Database]
) -> None:
    _, pg = built(plane, PG_CREATE)
    first, second = (WalArchiveHealth(db) for db in databases)

    def sample(**values: float) -> None:
        with plane.db.write() as s:
            metric_samples.add(s, pg, utcnow(), {"engine_up": 1.0, **values})
        time.sleep(0.01)  # the next sample is the newer one

    sample(wal_archive_failures_total=3, wal_archive_pending=0, wal_archived_age_seconds=5)
    assert first.check(pg, None) is None  # the count before any worker looked
    sample(wal_archive_failures_total=5, wal_archive_pending=4, wal_archived_age_seconds=300)
    assert "failed to archive WAL 2 time(s)" in (first.check(pg, None) or "")
    assert "behind: 4 file(s) waiting" in (second.check(pg, None) or "")  # still unhealthy
    assert WalArchiveHealth(databases[1]).check(pg, None) is not None  # a restarted worker
    assert second.check(pg, "the store is unreachable") is not None
    sample(wal_archive_failures_total=5, wal_archive_pending=0, wal_archived_age_seconds=3)
    assert second.check(pg, None) is None
    assert first.check(pg, None) is None
    assert WalArchiveHealth(databases[0]).check(pg, None) is None
    sample(wal_archive_failures_total=6, wal_archive_pending=0, wal_archived_age_seconds=3)
    assert WalArchiveHealth(databases[0]).check(pg, None) is not None  # counted across restarts
    assert [m for m in said(plane, pg, "backup") if "WAL" in m] == [
        "the engine failed to archive WAL 2 time(s)",
        "WAL archiving is healthy again",
        "the engine failed to archive WAL 1 time(s)",
    ]


def test_the_state_of_a_deleted_instance_is_forgotten(
    plane: ControlPlane, worlds: FakeWorld, databases: list[Database]
) -> None:
    demo, instance_id = built(plane)
    worlds.drop("agent", instance_id)
    manager = managers(plane, databases)[0]
    manager.run()
    with plane.db.read() as s:
        assert s.get(InstanceHealth, instance_id) is not None
    worlds.put("agent", instance_id, {"running": True})
    r = plane.client.delete(plane.url(demo, f"instances/{instance_id}"), headers=demo.headers())
    assert r.status_code == 202
    with plane.worker():
        plane.wait_status(demo, instance_id, {"DELETED"})
    manager.run()
    with plane.db.read() as s:
        assert s.get(InstanceHealth, instance_id) is None
