"""The metrics collector on fake drivers: samples land in the control DB, OOM kills and a
filling volume become events, retention downsamples and drops, top queries are kept."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from strongroom.config.monitoring import MonitoringSettings
from strongroom.contracts.metrics import MetricsSample
from strongroom.drivers.fake.world import FakeWorld
from strongroom.drivers.registry import build_drivers
from strongroom.drivers.specs import GuestTarget
from strongroom.monitoring.collector import MetricsCollector
from strongroom.store import metric_samples
from strongroom.store.database import utcnow
from strongroom.store.models import MetricSample
from tests.functional.api.test_instance_lifecycle import CREATE
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.functional


def active_instance(plane: ControlPlane, demo: Tenant) -> str:
    r = plane.client.post(plane.url(demo, "instances"), json=CREATE, headers=demo.headers())
    instance_id = str(r.json()["instance"]["id"])
    with plane.worker():
        plane.wait_status(demo, instance_id, {"ACTIVE"})
    return instance_id


def collector(plane: ControlPlane) -> MetricsCollector:
    """A collector sampling every second (an instance sampled in the last half second is
    skipped: see `sample`)."""
    settings = plane.settings
    monitoring = settings.monitoring.model_copy(update={"collect_interval_seconds": 1.0})
    return MetricsCollector(plane.db, build_drivers(settings), monitoring)


def sample(duty: MetricsCollector) -> None:
    """One collector round, after the previous round's samples stopped being fresh."""
    time.sleep(0.55)
    duty.run()


def world(plane: ControlPlane) -> FakeWorld:
    return FakeWorld(plane.settings.state_dir / "fake", plane.settings.drivers.fake)


def events(plane: ControlPlane, demo: Tenant, instance_id: str) -> list[tuple[str, str]]:
    r = plane.client.get(plane.url(demo, f"instances/{instance_id}/events"), headers=demo.headers())
    return [(e["kind"], e["message"]) for e in r.json()["events"]]


def test_samples_are_stored_and_changes_become_events(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    instance_id = active_instance(plane, demo)
    duty = collector(plane)
    sample(duty)
    sample(duty)
    with plane.db.read() as s:
        last = metric_samples.last(s, instance_id)
        count = s.scalar(select(func.count()).select_from(MetricSample))
    assert count is not None and count >= 2 and last is not None
    duty.run()  # sampled less than half an interval ago (as by another worker): skipped
    with plane.db.read() as s:
        assert s.scalar(select(func.count()).select_from(MetricSample)) == count
    assert last.values["engine_up"] == 1.0 and last.values["memory_bytes"] > 0
    assert last.values["questions_total"] > 0 and last.values["cpu_seconds_total"] > 0
    assert last.values["memory_limit_bytes"] == 1024 * 2**20  # sr.small
    assert {"network_rx_bytes_total", "disk_write_bytes_total", "volume_free_bytes"} <= set(
        last.values
    )

    world(plane).put("usage-override", instance_id, {"oom_kills": 1, "volume_used_bytes": 2**30})
    sample(duty)
    sample(duty)  # no new kill, still full: no new event
    kinds = [kind for kind, _ in events(plane, demo, instance_id)]
    assert kinds.count("oom kill") == 1 and kinds.count("low storage") == 1


def test_retention_downsamples_old_samples_and_drops_expired_minutes(plane: ControlPlane) -> None:
    now = utcnow().replace(second=30, microsecond=0)
    with plane.db.write() as s:
        for seconds in (0, 10, 20, 70):  # four hours ago, then just a few seconds ago
            at = now - timedelta(hours=4) + timedelta(seconds=seconds)
            metric_samples.add(s, "i-1", at, {"memory_bytes": seconds, "queries_total": seconds})
        metric_samples.add(s, "i-1", now, {"memory_bytes": 1.0})
        s.add(MetricSample(instance_id="i-1", resolution=60, time=now - timedelta(days=8), data={}))
    collector(plane).run_retention()
    with plane.db.read() as s:
        rows = s.execute(
            select(MetricSample.resolution, MetricSample.data).order_by(MetricSample.time)
        ).all()
    assert [r[0] for r in rows] == [60, 60, 0]
    assert rows[0][1] == {"memory_bytes": 10.0, "queries_total": 20.0}
    assert rows[1][1] == {"memory_bytes": 70.0, "queries_total": 70.0}


def test_top_queries_are_fetched_and_replaced(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    instance_id = active_instance(plane, demo)
    duty = collector(plane)
    duty.run_top_queries()
    duty.run_top_queries()
    with plane.db.read() as s:
        row = metric_samples.top_queries(s, instance_id)
    assert row is not None
    assert any("SELECT" in q["text"] for q in row.queries)


def test_the_worker_collects_at_the_configured_interval(plane: ControlPlane) -> None:
    plane.settings = plane.settings.model_copy(
        update={"monitoring": MonitoringSettings(collect_interval_seconds=1)}
    )
    demo = plane.tenant("demo", "demo", "member")
    r = plane.client.post(plane.url(demo, "instances"), json=CREATE, headers=demo.headers())
    instance_id = str(r.json()["instance"]["id"])
    with plane.worker():
        plane.wait_status(demo, instance_id, {"ACTIVE"})
        deadline = time.monotonic() + 10
        while True:
            with plane.db.read() as s:
                count = s.scalar(select(func.count()).select_from(MetricSample)) or 0
            if count >= 3:
                break
            assert time.monotonic() < deadline, f"only {count} samples"
            time.sleep(0.2)


def test_a_round_reads_instances_side_by_side(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    ids = {active_instance(plane, demo) for _ in range(3)}
    duty = collector(plane)
    guest = duty.drivers.guest
    read_metrics = guest.metrics
    lock, inside, most = threading.Lock(), [0], [0]

    def slow_metrics(target: GuestTarget) -> MetricsSample:
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        try:
            time.sleep(0.3)  # an agent round trip
            return read_metrics(target)
        finally:
            with lock:
                inside[0] -= 1

    guest.metrics = slow_metrics  # type: ignore[method-assign]
    sample(duty)
    with plane.db.read() as s:
        sampled = {i for i in ids if metric_samples.last(s, i) is not None}
    assert sampled == ids and most[0] == 3
