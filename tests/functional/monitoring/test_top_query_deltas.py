"""Top queries within a range: the collector keeps snapshots of the engine's cumulative
digest counters (thinned to hourly, then dropped), and the API answers what statements cost
between the snapshots bounding the range; own project only, 400 for a bad range."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from strongroom.store import top_query_snapshots
from strongroom.store.database import utcnow
from strongroom.store.models import TopQuerySnapshot
from tests.functional.monitoring.test_metrics_api import get
from tests.functional.monitoring.test_metrics_collector import active_instance, collector
from tests.support.controlplane import ControlPlane

pytestmark = pytest.mark.functional


def digest(name: str, calls: int, total_ms: float, rows: int) -> dict[str, Any]:
    return {
        "digest": name,
        "schema_name": "shop",
        "text": f"SELECT * FROM `shop` . `{name}` WHERE `id` = ?",
        "calls": calls,
        "total_time_ms": total_ms,
        "mean_time_ms": round(total_ms / calls, 3),
        "rows_sent": rows,
        "rows_affected": 0,
        "rows_examined": rows,
    }


def iso(value: Any) -> str:
    return str(value.strftime("%Y-%m-%dT%H:%M:%SZ"))


def test_costs_within_a_range_of_own_instance_only(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    other = plane.tenant("other", "other", "member")
    instance_id = active_instance(plane, demo)
    now = utcnow().replace(microsecond=0)
    snapshots = {
        50: [digest("orders", 1000, 5000.0, 1000), digest("items", 10, 10.0, 10)],
        30: [digest("orders", 1200, 5400.0, 1200), digest("items", 10, 10.0, 10)],
        10: [digest("orders", 1300, 5700.0, 1300), digest("items", 30, 1010.0, 50)],
    }
    with plane.db.write() as s:
        for minutes, queries in snapshots.items():
            top_query_snapshots.add(s, instance_id, now - timedelta(minutes=minutes), queries)
    path = f"instances/{instance_id}/top-queries"

    start = (now - timedelta(minutes=40)).timestamp()
    status, doc = get(plane, demo, path, start=start)
    assert status == 200, doc
    view = doc["top_queries"]
    assert view["since"] == iso(now - timedelta(minutes=50))  # the snapshot before start
    assert view["collected"] == iso(now - timedelta(minutes=10))
    got = {q["digest"]: q for q in view["queries"]}
    assert [q["digest"] for q in view["queries"]] == ["items", "orders"]  # by time in range
    assert (got["orders"]["calls"], got["orders"]["total_time_ms"]) == (300, 700.0)
    assert got["orders"]["mean_time_ms"] == 2.333 and got["orders"]["rows_sent"] == 300
    assert (got["items"]["calls"], got["items"]["total_time_ms"]) == (20, 1000.0)

    end = iso(now - timedelta(minutes=20))
    status, doc = get(plane, demo, path, start=iso(now - timedelta(minutes=55)), end=end)
    assert status == 200
    only = doc["top_queries"]["queries"]
    assert [(q["digest"], q["calls"]) for q in only] == [("orders", 200)]

    status, doc = get(plane, demo, path, start=iso(now - timedelta(minutes=5)))
    assert status == 200 and doc["top_queries"]["queries"] == []  # one snapshot: nothing known

    status, doc = get(plane, other, path, start=start)
    assert status == 404 and "itemNotFound" in doc
    for bad in ({"start": "yesterday"}, {"start": iso(now), "end": iso(now - timedelta(hours=1))}):
        status, doc = get(plane, demo, path, **bad)
        assert status == 400 and doc["badRequest"]["message"], bad


def test_collector_keeps_snapshots_and_thins_old_ones(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    instance_id = active_instance(plane, demo)
    duty = collector(plane)
    duty.run_top_queries()
    time.sleep(0.01)  # two snapshots, at different times
    duty.run_top_queries()
    path = f"instances/{instance_id}/top-queries"
    status, doc = get(plane, demo, path)
    assert status == 200 and doc["top_queries"]["since"] is None
    assert doc["top_queries"]["queries"][0]["calls"] > 0  # totals since the engine started
    status, doc = get(plane, demo, path, start=(utcnow() - timedelta(minutes=1)).timestamp())
    view = doc["top_queries"]
    assert status == 200 and view["since"] and view["collected"]
    with plane.db.read() as s:
        stored = s.scalars(
            select(TopQuerySnapshot.time).where(TopQuerySnapshot.instance_id == instance_id)
        )
        assert len(list(stored)) == 2
    assert view["queries"] == []  # the fake engine ran nothing between the two snapshots

    hour = (utcnow() - timedelta(hours=5)).replace(minute=0, second=0, microsecond=0)
    old = [hour + timedelta(minutes=m) for m in (1, 20, 40)]
    expired = utcnow() - timedelta(days=8)
    with plane.db.write() as s:
        for at in [*old, expired]:
            top_query_snapshots.add(s, instance_id, at, [digest("orders", 1, 1.0, 1)])
    duty.run_retention()
    with plane.db.read() as s:
        times = list(
            s.scalars(
                select(TopQuerySnapshot.time)
                .where(TopQuerySnapshot.instance_id == instance_id)
                .order_by(TopQuerySnapshot.time)
            )
        )
    assert times[0] == old[0] and len(times) == 3  # first of that hour + the two recent
