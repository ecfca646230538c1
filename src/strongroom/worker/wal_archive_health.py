"""The health of an instance's continuous WAL archive, judged after each shipping round: a
problem when shipping failed, when the engine's archiver failed since the failure count last
seen, or when files wait while the last archive is older than `BEHIND_SECONDS`; an instance
event when a problem starts and one when it ends.

Whether a problem was reported and the failure count last seen live in the control DB
(`store.instance_health`), changed by compare-and-set: with any number of workers shipping,
each start and end is one event, and a restarted worker neither says it again nor loses the
count (failures while no worker ran are seen)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from strongroom.store import instance_health, instances, metric_samples
from strongroom.store.database import Database

log = logging.getLogger(__name__)

EVENT = "backup"
HEALTHY_AGAIN = "WAL archiving is healthy again"
FAILURES = "wal_archive_failures_total"
BEHIND_SECONDS = 120.0
"""Files waiting this long behind the last archived one is falling behind: twice the
engines' `archive_timeout` (60 s)."""


class WalArchiveHealth:
    def __init__(self, db: Database) -> None:
        self.db = db

    def check(self, instance_id: str, shipping_problem: str | None) -> str | None:
        """The instance's WAL archive problem now, from `shipping_problem` and its latest
        metrics sample; an event when that starts or ends (said by one worker only)."""
        with self.db.read() as s:
            sample = metric_samples.last(s, instance_id)
            state = instance_health.get(s, instance_id)
        failures = sample.values.get(FAILURES) if sample is not None else None
        seen = None if state is None else state.wal_failures_seen
        unhealthy = state is not None and state.wal_unhealthy
        problem = shipping_problem or (
            archive_problem(sample.values, seen) if sample is not None else None
        )
        if failures in (None, seen) and (problem is not None) == unhealthy:
            return problem  # nothing changed: no write
        with self.db.write() as s:
            instance = instances.get_live(s, instance_id)
            if instance is None:
                return problem
            instance_health.ensure(s, instance_id)
            if failures is not None and failures != seen:
                instance_health.set_wal_failures_seen(s, instance_id, seen, failures)
            if instance_health.set_wal_unhealthy(s, instance_id, problem is not None):
                log.info("instance %s: %s", instance_id, problem or HEALTHY_AGAIN)
                instances.record_event(s, instance, EVENT, problem or HEALTHY_AGAIN)
        return problem


def archive_problem(values: Mapping[str, float], failures_seen: float | None) -> str | None:
    """What the engine's archive metrics say is wrong, given the failure count last seen."""
    failures = values.get(FAILURES)
    if failures is not None and failures_seen is not None and failures > failures_seen:
        return f"the engine failed to archive WAL {int(failures - failures_seen)} time(s)"
    age = values.get("wal_archived_age_seconds")
    pending = values.get("wal_archive_pending") or 0
    if pending and (age is None or age > BEHIND_SECONDS):
        shown = "never" if age is None else f"{age:.0f} s ago"
        return f"WAL archiving is behind: {int(pending)} file(s) waiting, last archived {shown}"
    return None
