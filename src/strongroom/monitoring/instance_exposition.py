"""Prometheus exposition of every live instance's latest sample, labelled with instance_id,
project_id and datastore (counters as running totals, as Prometheus wants them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import select

from strongroom.domain.metric_catalog import CATALOG, Kind
from strongroom.store import metric_samples
from strongroom.store.database import Database, utcnow
from strongroom.store.models import Instance

PREFIX = "strongroom_instance_"
FRESH = timedelta(minutes=5)
"""Samples older than this are not exposed (the instance stopped being sampled)."""
LABELS = ["instance_id", "project_id", "datastore"]


class InstanceMetricsCollector(Collector):
    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        with self.db.read() as s:
            latest = metric_samples.latest_per_instance(s, utcnow() - FRESH)
            owners = {
                row.id: (row.project_id, row.datastore)
                for row in s.execute(
                    select(Instance.id, Instance.project_id, Instance.datastore).where(
                        Instance.deleted_at.is_(None)
                    )
                )
            }
        families: dict[str, GaugeMetricFamily | CounterMetricFamily] = {}
        for info in CATALOG.values():
            documentation = f"{info.help} ({info.unit})"
            if info.kind is Kind.COUNTER:
                families[info.name] = CounterMetricFamily(
                    PREFIX + info.name, documentation, labels=LABELS
                )
            else:
                families[info.name] = GaugeMetricFamily(
                    PREFIX + info.name, documentation, labels=LABELS
                )
        for instance_id, sample in sorted(latest.items()):
            owner = owners.get(instance_id)
            if owner is None:
                continue
            for name, value in sample.values.items():
                family = families.get(name)
                if family is not None:
                    family.add_metric([instance_id, *owner], value)
        yield from families.values()
