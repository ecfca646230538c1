"""The health manager: ask every live instance's agent how it is; record changes as events,
and each crash restart the agent reports (once: its message names the agent's time).

An agent that does not answer twice in a row is started again through the compute driver
(idempotent: a running agent is kept), at most once a minute per instance, like a VM's init
system restarting a dead service; the engine itself keeps serving meanwhile.

Any number of workers run this duty side by side: what it remembers between rounds lives in
the control DB (`store.instance_health`), and each change is a compare-and-set, so that every
change is one event and one agent start, whichever worker saw it, and a restarted worker
carries on where the others are."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.domain.health import HealthVerdict, judge
from strongroom.domain.instance_status import Status
from strongroom.drivers.registry import DriverSet
from strongroom.drivers.specs import GuestHealth, GuestRestart, GuestTarget
from strongroom.jobs.queue import UNFINISHED
from strongroom.store import instance_health, instances
from strongroom.store.database import Database, utcnow
from strongroom.store.models import Event, Instance, Job, Port

log = logging.getLogger(__name__)

# Instances the health manager watches: built and not in the middle of an operation.
WATCHED = (Status.ACTIVE, Status.RESTART_REQUIRED, Status.SHUTDOWN)
RESTART_EVENT = "engine restart"
AGENT_EVENT = "agent"
AGENT_MISSES_BEFORE_START = 2
AGENT_START_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class _Watched:
    instance_id: str
    agent_address: str


class HealthManager:
    def __init__(self, db: Database, drivers: DriverSet) -> None:
        self.db = db
        self.drivers = drivers

    def run(self) -> None:
        self._forget_deleted()
        for target in self._watched():
            health = self.drivers.guest.health(
                GuestTarget(target.instance_id, target.agent_address)
            )
            with self.db.write() as s:
                start = self._watch_agent(s, target.instance_id, health.reachable)
                self._record(s, target.instance_id, health)
                if health.restarts:
                    self._record_restarts(s, target.instance_id, health.restarts)
            if start:
                self._start_agent(target.instance_id, health.message)

    def _watched(self) -> list[_Watched]:
        with self.db.read() as s:
            busy = select(Job.resource_id).where(Job.state.in_(UNFINISHED))
            rows = s.execute(
                select(Instance.id, Port.address)
                .join(Port, (Port.instance_id == Instance.id) & (Port.role == "management"))
                .where(
                    Instance.deleted_at.is_(None),
                    Instance.status.in_(WATCHED),
                    Instance.id.not_in(busy),
                )
            ).all()
        return [_Watched(r[0], r[1]) for r in rows]

    def _forget_deleted(self) -> None:
        with self.db.read() as s:
            gone = instance_health.forgotten(s)
        if gone:
            with self.db.write() as s:
                instance_health.forget(s, gone)

    def _record(self, s: Session, instance_id: str, health: GuestHealth) -> None:
        verdict = judge(health.reachable, health.engine_state, health.message)
        row = s.get(Instance, instance_id)
        if row is None or row.deleted_at is not None or row.status not in WATCHED:
            return  # an operation began meanwhile; it owns the status now
        row.service_status_updated_at = utcnow()
        if health.volume_used_bytes is not None:
            row.volume_used = round(health.volume_used_bytes / 2**30, 3)
        was = row.operating_status
        if was != verdict.operating_status and instance_health.set_operating(
            s, instance_id, WATCHED, was, verdict.operating_status
        ):
            _said_health(s, row, was, verdict)

    def _watch_agent(self, s: Session, instance_id: str, reachable: bool) -> bool:
        """Count the agent's unanswered checks; whether this worker is to start it now."""
        if reachable:
            instance_health.reset_agent_misses(s, instance_id)
            return False
        instance_health.agent_missed(s, instance_id)
        every = timedelta(seconds=AGENT_START_EVERY_SECONDS)
        return instance_health.claim_agent_start(
            s, instance_id, misses=AGENT_MISSES_BEFORE_START, every=every
        )

    def _start_agent(self, instance_id: str, message: str) -> None:
        try:
            self.drivers.compute.start_agent(instance_id)
        except Exception as exc:  # the sandbox may be gone: the reconciler reports that
            log.warning("instance %s: the guest agent could not be started: %s", instance_id, exc)
            return
        with self.db.write() as s:
            instance_health.reset_agent_misses(s, instance_id)
            row = instances.get_live(s, instance_id)
            if row is not None:
                detail = f" ({message})" if message else ""
                text = f"the guest agent did not answer{detail}: the worker started it again"
                log.warning("instance %s: %s", instance_id, text)
                instances.record_event(s, row, AGENT_EVENT, text)

    def _record_restarts(
        self, s: Session, instance_id: str, restarts: tuple[GuestRestart, ...]
    ) -> None:
        row = instances.get_live(s, instance_id)
        if row is None:
            return
        told = instance_health.ensure(s, instance_id).restarts_told_until
        fresh = [r for r in restarts if told is None or _utc(r.at) > told]
        newest = max((_utc(r.at) for r in fresh), default=None)
        if newest is None or not instance_health.restarts_told(s, instance_id, told, newest):
            return  # nothing new, or another worker is telling these
        known = set(  # told before this state was kept in the control DB
            s.scalars(
                select(Event.message).where(
                    Event.instance_id == instance_id, Event.kind == RESTART_EVENT
                )
            )
        )
        for restart in fresh:
            message = restart_message(restart)
            if message not in known:
                log.warning("instance %s: %s", instance_id, message)
                instances.record_event(s, row, RESTART_EVENT, message)
                known.add(message)


def _said_health(s: Session, row: Instance, was: str, verdict: HealthVerdict) -> None:
    log.info("instance %s: %s -> %s (%s)", row.id, was, verdict.operating_status, verdict.reason)
    instances.record_event(s, row, "health", f"{verdict.operating_status}: {verdict.reason}")


def _utc(at: datetime) -> datetime:
    """The agent's time as the control DB keeps times (naive UTC)."""
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at
    return aware.astimezone(UTC).replace(tzinfo=None)


def restart_message(restart: GuestRestart) -> str:
    """The event's words; the agent's time in them tells one restart from another."""
    when = restart.at.strftime("%Y-%m-%d %H:%M:%S UTC")
    if restart.outcome == "restarted":
        return (
            "the database engine crashed; the agent started it again "
            f"(attempt {restart.attempt}, {when})"
        )
    if restart.outcome == "failed":
        return (
            f"the database engine crashed; the agent's start attempt {restart.attempt} failed: "
            f"{restart.detail} ({when})"
        )
    return (
        f"the database engine keeps crashing: the agent gave up ({restart.detail}; {when}); "
        "restart the instance once the cause is fixed"
    )
