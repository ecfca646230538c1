"""The health manager: ask every live instance's agent how it is; record changes as events,
and each crash restart the agent reports (once: its message names the agent's time).

An agent that does not answer twice in a row is started again through the compute driver
(idempotent: a running agent is kept), at most once a minute per instance, like a VM's init
system restarting a dead service; the engine itself keeps serving meanwhile."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from sqlalchemy import select

from strongroom.domain.health import judge
from strongroom.domain.instance_status import Status
from strongroom.drivers.registry import DriverSet
from strongroom.drivers.specs import GuestRestart, GuestTarget
from strongroom.jobs.queue import UNFINISHED
from strongroom.store import instances
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
        self._misses: dict[str, int] = {}
        self._agent_started_at: dict[str, float] = {}

    def run(self) -> None:
        for target in self._watched():
            health = self.drivers.guest.health(
                GuestTarget(target.instance_id, target.agent_address)
            )
            self._watch_agent(target.instance_id, health.reachable, health.message)
            verdict = judge(health.reachable, health.engine_state, health.message)
            used = (
                round(health.volume_used_bytes / 2**30, 3)
                if health.volume_used_bytes is not None
                else None
            )
            self._record(target.instance_id, verdict.operating_status, verdict.reason, used)
            if health.restarts:
                self._record_restarts(target.instance_id, health.restarts)

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

    def _record(self, instance_id: str, operating: str, reason: str, used: float | None) -> None:
        with self.db.write() as s:
            row = s.get(Instance, instance_id)
            if row is None or row.deleted_at is not None or row.status not in WATCHED:
                return  # an operation began meanwhile; it owns the status now
            row.service_status_updated_at = utcnow()
            if used is not None:
                row.volume_used = used
            if row.operating_status != operating:
                log.info(
                    "instance %s: %s -> %s (%s)",
                    instance_id,
                    row.operating_status,
                    operating,
                    reason,
                )
                instances.record_event(s, row, "health", f"{operating}: {reason}")
                row.operating_status = operating

    def _watch_agent(self, instance_id: str, reachable: bool, message: str) -> None:
        if reachable:
            self._misses.pop(instance_id, None)
            return
        misses = self._misses[instance_id] = self._misses.get(instance_id, 0) + 1
        last = self._agent_started_at.get(instance_id)
        now = time.monotonic()
        if misses < AGENT_MISSES_BEFORE_START or (
            last is not None and now - last < AGENT_START_EVERY_SECONDS
        ):
            return
        self._agent_started_at[instance_id] = now
        try:
            self.drivers.compute.start_agent(instance_id)
        except Exception as exc:  # the sandbox may be gone: the reconciler reports that
            log.warning("instance %s: the guest agent could not be started: %s", instance_id, exc)
            return
        self._misses.pop(instance_id, None)
        with self.db.write() as s:
            row = s.get(Instance, instance_id)
            if row is not None and row.deleted_at is None:
                detail = f" ({message})" if message else ""
                text = f"the guest agent did not answer{detail}: the worker started it again"
                log.warning("instance %s: %s", instance_id, text)
                instances.record_event(s, row, AGENT_EVENT, text)

    def _record_restarts(self, instance_id: str, restarts: tuple[GuestRestart, ...]) -> None:
        with self.db.write() as s:
            row = s.get(Instance, instance_id)
            if row is None or row.deleted_at is not None:
                return
            known = set(
                s.scalars(
                    select(Event.message).where(
                        Event.instance_id == instance_id, Event.kind == RESTART_EVENT
                    )
                )
            )
            for restart in restarts:
                message = restart_message(restart)
                if message not in known:
                    log.warning("instance %s: %s", instance_id, message)
                    instances.record_event(s, row, RESTART_EVENT, message)
                    known.add(message)


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
