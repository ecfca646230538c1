"""Arithmetic on metric samples: downsampling to one row per period, and series per step
(averages of gauges, per-second rates of counters with resets). Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from strongroom.domain.metric_catalog import is_counter

Values = dict[str, float]
AVERAGE_DECIMALS = 3
"""Averages are kept to this many decimals: enough for any gauge, and short in JSON."""


@dataclass(frozen=True)
class Sample:
    """Every metric of one instance at one time."""

    time: datetime
    values: Values


def period_start(time: datetime, seconds: int) -> datetime:
    """The start of the `seconds`-long period (aligned to the epoch) holding `time`."""
    epoch = datetime(1970, 1, 1, tzinfo=time.tzinfo)
    offset = (time - epoch) // timedelta(seconds=seconds)
    return epoch + timedelta(seconds=offset * seconds)


def downsample(samples: Iterable[Sample], seconds: int) -> list[Sample]:
    """One sample per `seconds`-long period, stamped with the period's start: gauges
    averaged over the samples that have them, counters the last value seen."""
    periods: dict[datetime, list[Sample]] = {}
    for sample in sorted(samples, key=lambda s: s.time):
        periods.setdefault(period_start(sample.time, seconds), []).append(sample)
    return [Sample(start, _merge(group)) for start, group in sorted(periods.items())]


def _merge(group: Sequence[Sample]) -> Values:
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    merged: Values = {}
    for sample in group:
        for name, value in sample.values.items():
            if is_counter(name):
                merged[name] = value
            else:
                sums[name] = sums.get(name, 0.0) + value
                counts[name] = counts.get(name, 0) + 1
    merged.update({name: round(sums[name] / counts[name], AVERAGE_DECIMALS) for name in sums})
    return merged


def increase(previous: float, current: float) -> float:
    """How much a counter grew between two readings; a drop means it restarted from 0."""
    return current - previous if current >= previous else current


def series(
    samples: Sequence[Sample], name: str, start: datetime, step: timedelta
) -> list[tuple[datetime, float]]:
    """Points of one metric, one per `step` bucket (from `start`) that has data, stamped
    with the bucket's start. Gauges: the bucket's average. Counters: per-second rate over
    the bucket, from the increases between consecutive readings ending in it (the reading
    before the bucket counts as its first baseline)."""
    ordered = sorted((s for s in samples if name in s.values), key=lambda s: s.time)
    buckets: dict[int, list[tuple[datetime, float]]] = {}
    for sample in ordered:
        if sample.time >= start:
            index = (sample.time - start) // step
            buckets.setdefault(index, []).append((sample.time, sample.values[name]))
    if not is_counter(name):
        return [
            (start + i * step, sum(v for _, v in points) / len(points))
            for i, points in sorted(buckets.items())
        ]
    return _rates([(s.time, s.values[name]) for s in ordered], start, step)


def _rates(
    readings: list[tuple[datetime, float]], start: datetime, step: timedelta
) -> list[tuple[datetime, float]]:
    grown: dict[int, float] = {}
    spans: dict[int, float] = {}
    for (t0, v0), (t1, v1) in pairwise(readings):
        if t1 < start:
            continue
        index = (t1 - start) // step
        grown[index] = grown.get(index, 0.0) + increase(v0, v1)
        spans[index] = spans.get(index, 0.0) + (t1 - t0).total_seconds()
    return [(start + i * step, grown[i] / spans[i]) for i in sorted(grown) if spans[i] > 0]


def hit_ratio(
    samples: Sequence[Sample], hits_and_misses: tuple[str, str], start: datetime, step: timedelta
) -> list[tuple[datetime, float]]:
    """Per step, 1 - misses / requests from two counters (`requests`, `misses`); steps
    without requests are left out."""
    requests, misses = hits_and_misses
    missed = dict(series(samples, misses, start, step))
    return [
        (t, max(0.0, 1.0 - missed.get(t, 0.0) / rate))
        for t, rate in series(samples, requests, start, step)
        if rate > 0
    ]
