"""Storage of metric samples at steady state: N instances x D days under the default
retention (raw every 10 s for 3 h, one-minute rows for the rest), synthetic but realistic
values for every metric of the catalog. Reports rows and bytes, the cost of one retention
pass over an hour of raw samples, and a week-long series read.

    .venv/bin/python -m bench.metrics_storage [--instances 50] [--days 7] [--db postgresql]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from strongroom.config.monitoring import MonitoringSettings
from strongroom.domain.metric_catalog import CATALOG, Kind
from strongroom.domain.metric_series import series
from strongroom.store import metric_samples
from strongroom.store.database import Database, utcnow
from strongroom.store.migrate import upgrade
from strongroom.store.models import MetricSample
from tests.support.pgcluster import PgCluster

BATCH = 5000


class Walk:
    """Plausible values: gauges wander around a level, counters grow."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.values = {name: float(rng.randint(10, 10**9)) for name in CATALOG}

    def step(self, seconds: float) -> dict[str, float]:
        for name, info in CATALOG.items():
            if info.kind is Kind.COUNTER:
                self.values[name] += float(self.rng.randint(0, 5000) * seconds)
            else:
                self.values[name] = float(
                    max(0, int(self.values[name] * self.rng.uniform(0.98, 1.02)))
                )
        return dict(self.values)


def fill(db: Database, instances: int, days: float, settings: MonitoringSettings) -> None:
    now = utcnow().replace(second=0, microsecond=0)
    raw_span = timedelta(hours=settings.raw_retention_hours)
    minutes = int((timedelta(days=days) - raw_span) / timedelta(minutes=1))
    raw_count = int(raw_span / timedelta(seconds=settings.collect_interval_seconds))
    rng = random.Random(7)
    for _ in range(instances):
        iid, walk = str(uuid.uuid4()), Walk(rng)
        start = now - timedelta(days=days)
        rows: list[dict[str, Any]] = [
            {
                "instance_id": iid,
                "resolution": 60,
                "time": start + timedelta(minutes=m),
                "data": walk.step(60),
            }
            for m in range(minutes)
        ]
        raw_start = now - raw_span
        step = settings.collect_interval_seconds
        rows += [
            {
                "instance_id": iid,
                "resolution": 0,
                "time": raw_start + timedelta(seconds=i * step),
                "data": walk.step(step),
            }
            for i in range(raw_count)
        ]
        with db.write() as s:
            for i in range(0, len(rows), BATCH):
                s.execute(insert(MetricSample), rows[i : i + BATCH])


def size_bytes(db: Database) -> int:
    """Bytes the samples take: the whole SQLite file after VACUUM (nothing else is in it of
    any size), or the table with its indexes and TOAST on PostgreSQL."""
    if db.is_sqlite:
        path = db.url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            conn.execute("VACUUM")
        return Path(path).stat().st_size
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE metric_samples"))
        size = conn.execute(text("SELECT pg_total_relation_size('metric_samples')")).scalar()
        return int(size or 0)


def retention_pass(db: Database, instances: int, settings: MonitoringSettings) -> tuple[int, float]:
    """An hour of raw samples of every instance, aged past the raw retention, downsampled."""
    now = utcnow()
    old = now - timedelta(hours=settings.raw_retention_hours + 1)
    with db.read() as s:
        ids = list(s.scalars(select(MetricSample.instance_id).distinct()))[:instances]
    rng = random.Random(8)
    with db.write() as s:
        for iid in ids:
            walk = Walk(rng)
            rows = [
                {
                    "instance_id": iid,
                    "resolution": 0,
                    "time": old + timedelta(seconds=10 * i),
                    "data": walk.step(10),
                }
                for i in range(360)
            ]
            s.execute(insert(MetricSample), rows)
    started = time.perf_counter()
    with db.write() as s:
        result = metric_samples.apply_retention(
            s,
            now,
            timedelta(hours=settings.raw_retention_hours),
            timedelta(days=settings.minute_retention_days),
        )
    return result.downsampled, time.perf_counter() - started


def week_read(db: Database, days: float) -> float:
    with db.read() as s:
        iid = s.scalar(select(MetricSample.instance_id).limit(1))
        assert iid is not None
        started = time.perf_counter()
        end = utcnow()
        samples = metric_samples.between(
            s, iid, end - timedelta(days=days), end, ["questions_total"]
        )
    points = series(samples, "questions_total", end - timedelta(days=days), timedelta(minutes=30))
    assert points
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", type=int, default=50)
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    settings = MonitoringSettings()
    cluster = None
    if args.db == "postgresql":
        cluster = PgCluster()
        cluster.start()
        url = cluster.create_database()
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='srbench-metrics-')) / 'control.db'}"
    db = Database(url)
    try:
        upgrade(db)
        started = time.perf_counter()
        fill(db, args.instances, args.days, settings)
        filled = time.perf_counter() - started
        with db.read() as s:
            rows = s.scalar(select(func.count()).select_from(MetricSample)) or 0
        size = size_bytes(db)
        downsampled, seconds = retention_pass(db, args.instances, settings)
        read = week_read(db, args.days)
    finally:
        db.dispose()
        if cluster is not None:
            cluster.stop()
    print(
        f"metric samples, {args.instances} instances x {args.days:g} days, {args.db}, "
        f"{len(CATALOG)} metrics per sample, raw {settings.raw_retention_hours:g} h at "
        f"{settings.collect_interval_seconds:g} s then 1-minute rows"
    )
    print(f"  rows          : {rows:,} ({rows / args.instances:,.0f} per instance)")
    print(
        f"  size          : {size / 2**20:,.1f} MiB ({size / rows:,.0f} bytes per row, "
        f"{size / rows / len(CATALOG):,.1f} per value)"
    )
    print(f"  ingest        : {rows * len(CATALOG) / filled:,.0f} values/s (bulk, {filled:.1f} s)")
    print(f"  retention pass: {downsampled:,} raw samples downsampled in {seconds:.2f} s")
    print(f"  {args.days:g}-day series : {read * 1000:.0f} ms (one instance, one metric)")


if __name__ == "__main__":
    main()
