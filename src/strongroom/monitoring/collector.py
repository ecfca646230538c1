"""The metrics collector (worker duties): sample every running instance, keep the samples
bounded, and fetch the engines' top queries.

Each instance is read twice per round: its sandbox on the host (compute driver: CPU, memory,
OOM kills, network, disk) and its engine through the agent (guest driver: counters, volume).
Reads of different instances run side by side (`collect_parallelism`); the samples are
then stored one after another.
What one of them cannot give is left out of the sample; an instance neither answers for is
skipped (the health manager reports it). OOM kills and a filling volume become events.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from strongroom.config.monitoring import MonitoringSettings
from strongroom.domain.instance_status import Status
from strongroom.domain.metric_events import noteworthy
from strongroom.drivers.registry import DriverSet
from strongroom.drivers.specs import GuestTarget
from strongroom.monitoring import samples
from strongroom.store import instances, metric_samples, top_query_snapshots
from strongroom.store.database import Database, utcnow
from strongroom.store.models import Instance, Port

log = logging.getLogger(__name__)

SAMPLED = (Status.ACTIVE, Status.RESTART_REQUIRED, Status.SHUTDOWN)
"""Instances whose sandbox and agent should exist."""


@dataclass(frozen=True)
class _Target:
    instance_id: str
    agent_address: str

    def guest(self) -> GuestTarget:
        return GuestTarget(self.instance_id, self.agent_address)


class MetricsCollector:
    def __init__(self, db: Database, drivers: DriverSet, settings: MonitoringSettings) -> None:
        self.db = db
        self.drivers = drivers
        self.settings = settings

    def run(self) -> None:
        """One round: a sample of every running instance not sampled within the last half
        interval (by another worker process: every worker runs this duty)."""
        fresh = timedelta(seconds=self.settings.collect_interval_seconds / 2)
        with self.db.read() as s:
            done = metric_samples.sampled_since(s, utcnow() - fresh)
        due = [t for t in self._targets() if t.instance_id not in done]
        for target, values in zip(due, self._read_all(due), strict=True):
            if values:
                self._record(target.instance_id, values, fresh)

    def run_top_queries(self) -> None:
        """Fetch each running engine's top statements: the latest list replaces the previous
        one, and is kept as a snapshot too (per-range costs are differences of snapshots)."""
        limit = self.settings.top_queries_limit
        for target in self._targets():
            try:
                found = self.drivers.guest.top_queries(target.guest(), limit)
            except Exception as exc:  # one instance never stops the round
                log.info("instance %s: no top queries: %s", target.instance_id, exc)
                continue
            with self.db.write() as s:
                if instances.get_live(s, target.instance_id) is not None:
                    rows = [q.model_dump(mode="json") for q in found]
                    now = utcnow()
                    metric_samples.put_top_queries(s, target.instance_id, now, rows)
                    top_query_snapshots.add(s, target.instance_id, now, rows)

    def run_retention(self) -> None:
        """Downsample aged raw samples to one per minute and drop expired minutes; thin
        aged top-query snapshots to one per hour and drop expired ones."""
        raw_keep = timedelta(hours=self.settings.raw_retention_hours)
        minute_keep = timedelta(days=self.settings.minute_retention_days)
        with self.db.write() as s:
            result = metric_samples.apply_retention(s, utcnow(), raw_keep, minute_keep)
            top_query_snapshots.apply_retention(s, utcnow(), raw_keep, minute_keep)
        if result.downsampled or result.dropped:
            log.info(
                "metric retention: %d raw samples downsampled, %d minute rows dropped",
                result.downsampled,
                result.dropped,
            )

    def _read_all(self, targets: list[_Target]) -> list[dict[str, float]]:
        if len(targets) <= 1:
            return [self._read(t) for t in targets]
        workers = min(self.settings.collect_parallelism, len(targets))
        with ThreadPoolExecutor(workers, thread_name_prefix="collector") as pool:
            return list(pool.map(self._read, targets))

    def _read(self, target: _Target) -> dict[str, float]:
        values: dict[str, float] = {}
        try:
            values.update(
                samples.from_sandbox(self.drivers.compute.sandbox_usage(target.instance_id))
            )
        except Exception as exc:
            log.info("instance %s: no sandbox usage: %s", target.instance_id, exc)
        try:
            values.update(samples.from_engine(self.drivers.guest.metrics(target.guest())))
        except Exception as exc:
            log.info("instance %s: no engine metrics: %s", target.instance_id, exc)
        return values

    def _record(self, instance_id: str, values: dict[str, float], fresh: timedelta) -> None:
        with self.db.write() as s:
            row = instances.get_live(s, instance_id)
            if row is None:
                return
            previous = metric_samples.last(s, instance_id)
            if previous is not None and previous.time > utcnow() - fresh:
                return  # another worker sampled it meanwhile
            metric_samples.add(s, instance_id, utcnow(), values)
            before = previous.values if previous is not None else None
            for event in noteworthy(before, values, self.settings.low_storage_ratio):
                log.warning("instance %s: %s: %s", instance_id, event.kind, event.message)
                instances.record_event(s, row, event.kind, event.message)

    def _targets(self) -> list[_Target]:
        with self.db.read() as s:
            rows = s.execute(
                select(Instance.id, Port.address)
                .join(Port, (Port.instance_id == Instance.id) & (Port.role == "management"))
                .where(Instance.deleted_at.is_(None), Instance.status.in_(SAMPLED))
            ).all()
        return [_Target(r[0], r[1]) for r in rows]
