"""Metric samples and top queries of instances: writes, reads by range, and retention.

Raw samples (resolution 0) become one-minute rows (resolution 60) when they age past the raw
retention, in the same transaction that deletes them, so a range read never sees a period
twice; one-minute rows are dropped after their own retention.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, insert, select
from sqlalchemy.orm import Session

from strongroom.domain.metric_series import Sample, downsample, period_start
from strongroom.store.models import InstanceTopQueries, MetricSample

RAW = 0
MINUTE = 60
COMPACT_WINDOW = timedelta(hours=1)
"""Most raw history one retention pass downsamples (bounds its memory and transaction)."""


@dataclass(frozen=True)
class RetentionResult:
    downsampled: int
    dropped: int


def add(session: Session, instance_id: str, time: datetime, values: dict[str, float]) -> None:
    session.add(MetricSample(instance_id=instance_id, resolution=RAW, time=time, data=values))


def last(session: Session, instance_id: str) -> Sample | None:
    """The newest raw sample of an instance."""
    row = session.scalars(
        select(MetricSample)
        .where(MetricSample.instance_id == instance_id, MetricSample.resolution == RAW)
        .order_by(MetricSample.time.desc())
        .limit(1)
    ).first()
    return None if row is None else Sample(row.time, _floats(row.data))


def between(
    session: Session, instance_id: str, start: datetime, end: datetime, names: Sequence[str]
) -> list[Sample]:
    """Samples of every resolution with `start <= time <= end`, oldest first, with only the
    metrics in `names` (extracted by the database, not parsed here)."""
    columns = [MetricSample.data[name].as_float() for name in names]
    rows = session.execute(
        select(MetricSample.time, *columns)
        .where(
            MetricSample.instance_id == instance_id,
            MetricSample.time >= start,
            MetricSample.time <= end,
        )
        .order_by(MetricSample.time)
    ).all()
    return [
        Sample(row[0], {n: float(v) for n, v in zip(names, row[1:], strict=True) if v is not None})
        for row in rows
    ]


def sampled_since(session: Session, since: datetime) -> set[str]:
    """Instances with a raw sample taken at or after `since`."""
    return set(
        session.scalars(
            select(MetricSample.instance_id)
            .where(MetricSample.resolution == RAW, MetricSample.time >= since)
            .distinct()
        )
    )


def latest_per_instance(session: Session, since: datetime) -> dict[str, Sample]:
    """The newest raw sample of each instance sampled since `since`."""
    newest = (
        select(MetricSample.instance_id, func.max(MetricSample.time).label("time"))
        .where(MetricSample.resolution == RAW, MetricSample.time >= since)
        .group_by(MetricSample.instance_id)
        .subquery()
    )
    rows = session.execute(
        select(MetricSample.instance_id, MetricSample.time, MetricSample.data).join(
            newest,
            (MetricSample.instance_id == newest.c.instance_id)
            & (MetricSample.time == newest.c.time)
            & (MetricSample.resolution == RAW),
        )
    ).all()
    return {iid: Sample(t, _floats(data)) for iid, t, data in rows}


def apply_retention(
    session: Session, now: datetime, raw_keep: timedelta, minute_keep: timedelta
) -> RetentionResult:
    """Downsample raw samples older than `raw_keep` (whole minutes, at most
    `COMPACT_WINDOW` per call) into one-minute rows, delete them, and drop one-minute rows
    older than `minute_keep`."""
    cutoff = period_start(now - raw_keep, MINUTE)
    oldest = session.scalar(
        select(func.min(MetricSample.time)).where(
            MetricSample.resolution == RAW, MetricSample.time < cutoff
        )
    )
    downsampled = 0
    if oldest is not None:
        first = period_start(oldest, MINUTE)
        downsampled = _downsample_before(session, first, min(cutoff, first + COMPACT_WINDOW))
    expired = delete(MetricSample).where(
        MetricSample.resolution == MINUTE, MetricSample.time < now - minute_keep
    )
    dropped = cast(CursorResult[Any], session.execute(expired)).rowcount
    return RetentionResult(downsampled=downsampled, dropped=int(dropped or 0))


def _downsample_before(session: Session, first: datetime, upto: datetime) -> int:
    """Raw samples in [first, upto) -> one-minute rows, folded into any one-minute rows
    already there (a late sample, another worker's pass), in three statements."""
    window = (MetricSample.time >= first) & (MetricSample.time < upto)
    rows = session.execute(
        select(MetricSample.instance_id, MetricSample.time, MetricSample.data).where(
            window, MetricSample.resolution.in_((RAW, MINUTE))
        )
    ).all()
    by_instance: dict[str, list[Sample]] = {}
    for iid, t, data in rows:
        by_instance.setdefault(iid, []).append(Sample(t, _floats(data)))
    session.execute(delete(MetricSample).where(window, MetricSample.resolution.in_((RAW, MINUTE))))
    minutes = [
        {"instance_id": iid, "resolution": MINUTE, "time": m.time, "data": m.values}
        for iid, samples in by_instance.items()
        for m in downsample(samples, MINUTE)
    ]
    if minutes:
        session.execute(insert(MetricSample), minutes)
    return len(rows)


def put_top_queries(
    session: Session, instance_id: str, time: datetime, queries: Sequence[dict[str, Any]]
) -> None:
    row = session.get(InstanceTopQueries, instance_id)
    if row is None:
        session.add(
            InstanceTopQueries(instance_id=instance_id, collected_at=time, queries=list(queries))
        )
        return
    row.collected_at = time
    row.queries = list(queries)


def top_queries(session: Session, instance_id: str) -> InstanceTopQueries | None:
    return session.get(InstanceTopQueries, instance_id)


def _floats(data: dict[str, Any]) -> dict[str, float]:
    return {str(k): float(v) for k, v in data.items() if isinstance(v, int | float)}
