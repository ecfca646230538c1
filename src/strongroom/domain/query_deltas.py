"""What each statement digest cost within a range, from snapshots of the engine's top list
(counters since the engine started). Pure: no I/O, no clock.

Between two consecutive snapshots a digest's cost is the difference of its counters, or its
whole counters when they went down (the engine restarted, or its digest table was reset).
A digest missing from the earlier snapshot counts from zero when that snapshot listed fewer
digests than the limit (so it listed all of them: the digest is new); otherwise it was only
below the top `limit` then, and it counts from the snapshot where it first shows up (an
under-count, never an over-count).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

COUNTERS = ("calls", "total_time_ms", "rows_sent", "rows_affected", "rows_examined")


@dataclass(frozen=True)
class DigestSnapshot:
    time: datetime
    queries: Sequence[dict[str, Any]]


@dataclass(frozen=True)
class RangeCost:
    """Per-digest costs between the first and the last snapshot used (None: fewer than two
    snapshots, so nothing can be said)."""

    first: datetime | None
    last: datetime | None
    queries: list[dict[str, Any]]


def range_cost(snapshots: Sequence[DigestSnapshot], limit: int) -> RangeCost:
    """The `limit` digests with the largest total time between the first and the last of
    `snapshots` (oldest first), with calls, total and mean time and rows."""
    if len(snapshots) < 2:
        return RangeCost(None, None, [])
    totals: dict[str, dict[str, float]] = {}
    latest: dict[str, dict[str, Any]] = {}
    for before, after in pairwise(snapshots):
        earlier = {q["digest"]: q for q in before.queries}
        complete = len(before.queries) < limit
        for query in after.queries:
            latest[query["digest"]] = query
            step = _step(earlier.get(query["digest"]), query, complete)
            if step is not None:
                into = totals.setdefault(query["digest"], dict.fromkeys(COUNTERS, 0.0))
                for name in COUNTERS:
                    into[name] += step[name]
    rows = [_row(latest[d], cost) for d, cost in totals.items() if cost["calls"] > 0]
    rows.sort(key=lambda r: (-r["total_time_ms"], r["digest"]))
    return RangeCost(snapshots[0].time, snapshots[-1].time, rows[:limit])


def _step(
    before: dict[str, Any] | None, after: dict[str, Any], complete: bool
) -> dict[str, float] | None:
    if before is None:
        return {n: float(after[n]) for n in COUNTERS} if complete else None
    if after["calls"] < before["calls"]:  # counters reset
        return {n: float(after[n]) for n in COUNTERS}
    return {n: max(0.0, float(after[n]) - float(before[n])) for n in COUNTERS}


def _row(query: dict[str, Any], cost: dict[str, float]) -> dict[str, Any]:
    calls = int(cost["calls"])
    total = round(cost["total_time_ms"], 3)
    return {
        "digest": query["digest"],
        "schema_name": query.get("schema_name"),
        "text": query["text"],
        "calls": calls,
        "total_time_ms": total,
        "mean_time_ms": round(total / calls, 3) if calls else 0.0,
        "rows_sent": int(cost["rows_sent"]),
        "rows_affected": int(cost["rows_affected"]),
        "rows_examined": int(cost["rows_examined"]),
    }
