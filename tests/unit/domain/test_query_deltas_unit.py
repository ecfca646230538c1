"""Per-range costs of statement digests from snapshots of cumulative counters."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from strongroom.domain.query_deltas import DigestSnapshot, range_cost

pytestmark = pytest.mark.unit

T0 = datetime(2026, 1, 1, 12, 0)


def q(digest: str, calls: int, total_ms: float, rows: int = 0) -> dict[str, Any]:
    return {
        "digest": digest,
        "schema_name": "shop",
        "text": f"SELECT {digest}",
        "calls": calls,
        "total_time_ms": total_ms,
        "mean_time_ms": total_ms / calls if calls else 0.0,
        "rows_sent": rows,
        "rows_affected": 0,
        "rows_examined": rows * 2,
    }


def snap(minute: int, *queries: dict[str, Any]) -> DigestSnapshot:
    return DigestSnapshot(T0 + timedelta(minutes=minute), list(queries))


def test_differences_between_the_first_and_last_snapshot() -> None:
    cost = range_cost(
        [
            snap(0, q("a", 100, 1000.0, 10), q("b", 50, 900.0)),
            snap(1, q("a", 110, 1100.0, 12), q("b", 50, 900.0)),
            snap(2, q("a", 130, 1400.0, 20), q("b", 60, 950.0)),
        ],
        limit=20,
    )
    assert (cost.first, cost.last) == (T0, T0 + timedelta(minutes=2))
    a, b = cost.queries
    assert (a["digest"], a["calls"], a["total_time_ms"], a["mean_time_ms"]) == (
        "a",
        30,
        400.0,
        13.333,
    )
    assert (a["rows_sent"], a["rows_examined"]) == (10, 20)
    assert (b["digest"], b["calls"], b["total_time_ms"]) == ("b", 10, 50.0)


def test_idle_digests_are_left_out_and_the_largest_come_first() -> None:
    cost = range_cost(
        [snap(0, q("a", 5, 10.0), q("b", 5, 10.0)), snap(1, q("a", 5, 10.0), q("b", 6, 90.0))],
        limit=20,
    )
    assert [r["digest"] for r in cost.queries] == ["b"]


def test_a_restart_counts_the_new_counters_whole() -> None:
    cost = range_cost(
        [snap(0, q("a", 100, 1000.0)), snap(1, q("a", 120, 1200.0)), snap(2, q("a", 7, 70.0))],
        limit=20,
    )
    [a] = cost.queries
    assert (a["calls"], a["total_time_ms"]) == (27, 270.0)


def test_a_new_digest_counts_from_zero_when_the_list_was_complete() -> None:
    cost = range_cost([snap(0, q("a", 1, 1.0)), snap(1, q("a", 1, 1.0), q("new", 4, 80.0))], 20)
    assert [(r["digest"], r["calls"]) for r in cost.queries] == [("new", 4)]


def test_a_digest_below_a_full_list_counts_from_its_first_appearance() -> None:
    full = [q(f"f{i}", 1000, 10_000.0) for i in range(3)]
    cost = range_cost(
        [
            snap(0, *full),
            snap(1, *full, q("late", 500, 5000.0)),
            snap(2, *full, q("late", 510, 5100.0)),
        ],
        limit=3,
    )
    assert [(r["digest"], r["calls"]) for r in cost.queries] == [("late", 10)]


def test_one_snapshot_says_nothing() -> None:
    assert range_cost([snap(0, q("a", 1, 1.0))], 20).queries == []
    assert range_cost([], 20).first is None
