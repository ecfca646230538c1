"""An administrator's status reset: the instance's status set from what its agent says now."""

from __future__ import annotations

import logging

from strongroom.domain.health import judge
from strongroom.domain.instance_status import OperatingStatus, Status
from strongroom.drivers.specs import GuestTarget
from strongroom.steps.base import Step, StepContext
from strongroom.store import instances, networks
from strongroom.store.models import Instance

log = logging.getLogger(__name__)

REASON = "status reset by an administrator"


class SettleStatus(Step):
    """ACTIVE when the engine runs, SHUTDOWN when it is stopped on purpose, otherwise ERROR
    with a fault naming why (a user may then delete it). Idempotent: it only reads the agent
    and writes the record."""

    name = "settle_status"

    def do(self, ctx: StepContext) -> None:
        with ctx.db.read() as s:
            ports = networks.ports_of(s, ctx.resource_id)
            agent = next((p.address for p in ports if p.role == "management"), None)
        operating: str
        if agent is None:
            operating, reason = OperatingStatus.ERROR, "the instance has no sandbox"
        else:
            health = ctx.drivers.guest.health(GuestTarget(ctx.resource_id, agent))
            # The agent's detail may name infrastructure (addresses): operators' log only.
            log.info("instance %s: status reset, agent says %s", ctx.resource_id, health)
            verdict = judge(health.reachable, health.engine_state)
            operating, reason = verdict.operating_status, verdict.reason
        with ctx.db.write() as s:
            row = s.get(Instance, ctx.resource_id)
            if row is None or row.deleted_at is not None or row.status == Status.DELETING:
                return
            message = f"{REASON}: {reason}"
            if operating in (OperatingStatus.HEALTHY, OperatingStatus.SHUTDOWN):
                status = Status.ACTIVE if operating == OperatingStatus.HEALTHY else Status.SHUTDOWN
                instances.clear_fault(row)
                instances.set_status(s, row, status, message, operating=operating)
                return
            instances.set_fault(s, row, message, None)
            instances.set_status(s, row, Status.ERROR, message, operating=OperatingStatus.ERROR)
