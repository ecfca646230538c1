"""The health manager: ask every live instance's agent how it is; record changes as events,
and each crash restart the agent reports (once: its message names the agent's time)."""

from __future__ import annotations

import logging
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


@dataclass(frozen=True)
class _Watched:
    instance_id: str
    agent_address: str


class HealthManager:
    def __init__(self, db: Database, drivers: DriverSet) -> None:
        self.db = db
        self.drivers = drivers

    def run(self) -> None:
        for target in self._watched():
            health = self.drivers.guest.health(
                GuestTarget(target.instance_id, target.agent_address)
            )
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
