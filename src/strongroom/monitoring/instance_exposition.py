"""Prometheus exposition of every live instance's latest sample, labelled with instance_id,
project_id and datastore (counters as running totals, as Prometheus wants them): all of them
on `/metrics`, one of them on `/metrics/instances/{id}` (a target of the service discovery)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.contracts.errors import NotFound
from strongroom.domain.metric_catalog import CATALOG, Kind
from strongroom.domain.metric_series import Sample
from strongroom.store import metric_samples
from strongroom.store.database import Database, utcnow
from strongroom.store.models import Instance

PREFIX = "strongroom_instance_"
FRESH = timedelta(minutes=5)
"""Samples older than this are not exposed (the instance stopped being sampled)."""
LABELS = ["instance_id", "project_id", "datastore"]


class InstanceMetricsCollector(Collector):
    """Every live instance's latest sample, or only `instance_id`'s when given."""

    def __init__(self, db: Database, instance_id: str | None = None) -> None:
        self.db = db
        self.instance_id = instance_id

    def collect(self) -> Iterator[Metric]:
        with self.db.read() as s:
            latest = self._latest(s)
            live = select(Instance.id, Instance.project_id, Instance.datastore).where(
                Instance.deleted_at.is_(None)
            )
            if self.instance_id is not None:
                live = live.where(Instance.id == self.instance_id)
            owners = {row.id: (row.project_id, row.datastore) for row in s.execute(live)}
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

    def _latest(self, s: Session) -> dict[str, Sample]:
        since = utcnow() - FRESH
        if self.instance_id is None:
            return metric_samples.latest_per_instance(s, since)
        last = metric_samples.last(s, self.instance_id)
        return {} if last is None or last.time < since else {self.instance_id: last}


def instance_exposition(db: Database, instance_id: str) -> bytes:
    """The text exposition of one live instance's latest sample (no series when it has not
    been sampled in the last 5 minutes); `NotFound` for an unknown or deleted instance."""
    with db.read() as s:
        found = s.scalar(
            select(Instance.id).where(Instance.id == instance_id, Instance.deleted_at.is_(None))
        )
    if found is None:
        raise NotFound(f"No instance with id {instance_id} could be found.")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(InstanceMetricsCollector(db, instance_id))
    return generate_latest(registry)
