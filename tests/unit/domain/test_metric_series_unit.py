"""Downsampling, counter rates with resets, and which sample changes become events."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from strongroom.domain.metric_events import noteworthy
from strongroom.domain.metric_series import (
    Sample,
    downsample,
    hit_ratio,
    increase,
    period_start,
    series,
)

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 25, 7, 0, 0)


def at(seconds: float, **values: float) -> Sample:
    return Sample(T0 + timedelta(seconds=seconds), values)


def test_downsample_averages_gauges_and_keeps_the_last_counter_per_minute() -> None:
    raw = [
        at(5, memory_bytes=100, queries_total=10),
        at(35, memory_bytes=300, queries_total=40),
        at(65, memory_bytes=50, queries_total=70),
    ]
    minutes = downsample(raw, 60)
    assert [m.time for m in minutes] == [T0, T0 + timedelta(minutes=1)]
    assert minutes[0].values == {"memory_bytes": 200, "queries_total": 40}
    assert minutes[1].values == {"memory_bytes": 50, "queries_total": 70}


def test_period_start_aligns_to_the_epoch() -> None:
    assert period_start(T0 + timedelta(seconds=59.9), 60) == T0
    assert period_start(T0 + timedelta(minutes=7, seconds=1), 300) == T0 + timedelta(minutes=5)


def test_counter_rate_per_step_survives_a_reset() -> None:
    raw = [
        at(0, queries_total=100),
        at(10, queries_total=200),
        at(20, queries_total=400),  # 20/s over the first step
        at(30, queries_total=30),  # the engine restarted: 30 since then
        at(40, queries_total=130),
    ]
    points = series(raw, "queries_total", T0 + timedelta(seconds=1), timedelta(seconds=20))
    assert points == [
        (T0 + timedelta(seconds=1), 300 / 20),
        (T0 + timedelta(seconds=21), 130 / 20),
    ]
    assert increase(400, 30) == 30 and increase(30, 130) == 100


def test_gauge_series_averages_each_step_and_skips_empty_ones() -> None:
    raw = [at(0, connections=2), at(10, connections=4), at(70, connections=9)]
    points = series(raw, "connections", T0, timedelta(seconds=30))
    assert points == [(T0, 3.0), (T0 + timedelta(seconds=60), 9.0)]
    assert series(raw, "memory_bytes", T0, timedelta(seconds=30)) == []


def test_oom_kills_and_low_storage_are_events_once_per_change() -> None:
    ok = {"oom_kills_total": 0, "volume_used_bytes": 50, "volume_total_bytes": 100}
    full = {**ok, "volume_used_bytes": 95}
    killed = {**full, "oom_kills_total": 2, "memory_limit_bytes": 512 * 2**20}
    assert noteworthy(None, ok, 0.9) == []
    assert [e.kind for e in noteworthy(ok, full, 0.9)] == ["low storage"]
    assert "95% full" in noteworthy(ok, full, 0.9)[0].message
    events = noteworthy(full, killed, 0.9)
    assert [e.kind for e in events] == ["oom kill"]
    assert events[0].message.startswith("2 process(es) killed") and "512 MiB" in events[0].message
    assert noteworthy(killed, killed, 0.9) == []


def test_buffer_hit_ratio_from_two_counters() -> None:
    raw = [
        at(0, buffer_read_requests_total=1000, buffer_reads_total=10),
        at(10, buffer_read_requests_total=2000, buffer_reads_total=60),  # 50 misses of 1000
        at(20, buffer_read_requests_total=2000, buffer_reads_total=60),  # idle: no point
    ]
    counters = ("buffer_read_requests_total", "buffer_reads_total")
    points = hit_ratio(raw, counters, T0 + timedelta(seconds=1), timedelta(seconds=10))
    assert points == [(T0 + timedelta(seconds=1), pytest.approx(0.95))]


def test_averages_are_kept_short() -> None:
    minute = downsample([at(0, connections=1), at(10, connections=1), at(20, connections=2)], 60)
    assert minute[0].values == {"connections": 1.333}
