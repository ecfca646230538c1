"""Reads of an instance's metrics for its owner: series over a range, top queries.

Series come from the stored samples (raw where still kept, one-minute rows before), cut
into `step`-long buckets: gauges averaged, counters as per-second rates (resets handled).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from strongroom.config import Settings
from strongroom.contracts.errors import BadRequest
from strongroom.domain.metric_catalog import CATALOG, DERIVED, Kind, MetricInfo
from strongroom.domain.metric_series import Sample, hit_ratio, series
from strongroom.domain.query_deltas import DigestSnapshot, range_cost
from strongroom.identity.context import RequestContext
from strongroom.services.scope import visible_instance
from strongroom.store import metric_samples, top_query_snapshots
from strongroom.store.database import Database, utcnow

DEFAULT_RANGE = timedelta(hours=1)
MAX_POINTS = 11_000
TARGET_POINTS = 300
MIN_STEP_SECONDS = 1.0
DEFAULT_NAMES = (
    "cpu_seconds_total",
    "memory_bytes",
    "memory_limit_bytes",
    "connections",
    "questions_total",
    "volume_used_bytes",
    "volume_total_bytes",
)


@dataclass(frozen=True)
class SeriesRequest:
    """What the caller asked for; None means the default."""

    names: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    step_seconds: float | None = None


@dataclass(frozen=True)
class Series:
    info: MetricInfo
    points: list[tuple[datetime, float]]


@dataclass(frozen=True)
class SeriesResult:
    start: datetime
    end: datetime
    step_seconds: float
    series: list[Series]


@dataclass(frozen=True)
class TopQueriesResult:
    collected_at: datetime | None
    queries: list[dict[str, Any]]
    since: datetime | None = None
    """Start of the counted interval; None: since the engine started."""


@dataclass(frozen=True)
class TopQueriesRange:
    """A range asked for; None means the default (end: now, start: an hour before end)."""

    start: datetime | None = None
    end: datetime | None = None


class MetricsQueryService:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db

    def series(self, ctx: RequestContext, instance_id: str, request: SeriesRequest) -> SeriesResult:
        """Series of `request.names` for an instance the caller may see (404 otherwise);
        `BadRequest` for unknown names, a reversed range or a step giving too many points."""
        names = _check_names(request.names or DEFAULT_NAMES)
        end = request.end or utcnow()
        start = request.start or end - DEFAULT_RANGE
        if start >= end:
            raise BadRequest("`start` must be before `end`.")
        step = request.step_seconds
        if step is None:
            step = self._default_step(end - start)
        if not math.isfinite(step) or step < MIN_STEP_SECONDS:
            raise BadRequest(f"`step` must be at least {MIN_STEP_SECONDS:.0f} second.")
        if (end - start).total_seconds() / step > MAX_POINTS:
            raise BadRequest(f"The range holds more than {MAX_POINTS} steps: use a larger `step`.")
        with self.db.read() as s:
            visible_instance(s, ctx, instance_id)
            # a counter's first rate needs the reading before the range
            lookback = start - timedelta(seconds=max(step, 120))
            stored = sorted({n for name in names for n in _inputs(name)})
            samples = metric_samples.between(s, instance_id, lookback, end, stored)
        width = timedelta(seconds=step)
        found = [_series(samples, n, start, width) for n in names]
        return SeriesResult(start=start, end=end, step_seconds=step, series=found)

    def top_queries(
        self, ctx: RequestContext, instance_id: str, within: TopQueriesRange | None = None
    ) -> TopQueriesResult:
        """The engine's statements with the largest total time: since the engine started,
        as last collected, or what they cost within a range (from the snapshots bounding
        it: the newest at or before its start to the newest before its end)."""
        if within is not None:
            return self._top_queries_within(ctx, instance_id, within)
        with self.db.read() as s:
            visible_instance(s, ctx, instance_id)
            row = metric_samples.top_queries(s, instance_id)
            if row is None:
                return TopQueriesResult(collected_at=None, queries=[])
            return TopQueriesResult(collected_at=row.collected_at, queries=list(row.queries))

    def _top_queries_within(
        self, ctx: RequestContext, instance_id: str, within: TopQueriesRange
    ) -> TopQueriesResult:
        end = within.end or utcnow()
        start = within.start or end - DEFAULT_RANGE
        if start >= end:
            raise BadRequest("`start` must be before `end`.")
        with self.db.read() as s:
            visible_instance(s, ctx, instance_id)
            found = top_query_snapshots.bounding(s, instance_id, start, end)
        snapshots = [DigestSnapshot(f.time, f.queries) for f in found]
        cost = range_cost(snapshots, self.settings.monitoring.top_queries_limit)
        return TopQueriesResult(collected_at=cost.last, queries=cost.queries, since=cost.first)

    def _default_step(self, span: timedelta) -> float:
        interval = self.settings.monitoring.collect_interval_seconds
        return float(max(interval, math.ceil(span.total_seconds() / TARGET_POINTS)))


HIT_RATIO_INPUTS = ("buffer_read_requests_total", "buffer_reads_total")


def _inputs(name: str) -> tuple[str, ...]:
    """The stored metrics a requested series is computed from."""
    return HIT_RATIO_INPUTS if name == "buffer_hit_ratio" else (name,)


def _series(samples: list[Sample], name: str, start: datetime, step: timedelta) -> Series:
    if name == "buffer_hit_ratio":
        return Series(DERIVED[name], hit_ratio(samples, HIT_RATIO_INPUTS, start, step))
    return Series(CATALOG[name], series(samples, name, start, step))


def _check_names(names: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [n for n in names if n not in CATALOG and n not in DERIVED]
    if unknown:
        raise BadRequest(
            f"Unknown metric name(s): {', '.join(sorted(unknown)[:5])}. "
            f"Known: {', '.join(sorted([*CATALOG, *DERIVED]))}."
        )
    return tuple(dict.fromkeys(names))


def unit_of(info: MetricInfo) -> str:
    """The unit of the series' values: counters are reported per second."""
    return f"{info.unit}/s" if info.kind is Kind.COUNTER else info.unit
