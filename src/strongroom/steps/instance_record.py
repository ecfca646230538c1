"""Steps that change the instance's record: status, fault, deletion."""

from __future__ import annotations

import time

from strongroom.domain.instance_status import OperatingStatus, Status
from strongroom.steps.base import Step, StepContext
from strongroom.steps.facts import load_facts
from strongroom.steps.guest import PREPARED_AT
from strongroom.store import instances, networks
from strongroom.store.database import utcnow
from strongroom.store.models import Instance

FRESH_PREPARE_SECONDS = 5.0


class MarkActive(Step):
    """The instance is usable: ACTIVE, with the engine's health as its operating status.

    A prepare that ended moments ago (the engine answered its statements) is that health; an
    older one (this job resumed after a crash) is checked again with the agent."""

    name = "mark_active"

    def do(self, ctx: StepContext) -> None:
        if 0 <= time.time() - ctx.state.get(PREPARED_AT, 0.0) < FRESH_PREPARE_SECONDS:
            operating = OperatingStatus.HEALTHY
        else:
            health = ctx.drivers.guest.health(load_facts(ctx).guest_target())
            operating = OperatingStatus.HEALTHY if health.engine_running else OperatingStatus.ERROR
        with ctx.db.write() as s:
            instance = s.get(Instance, ctx.resource_id)
            if instance is None or instance.status != Status.BUILD:
                return
            instances.clear_fault(instance)
            instance.service_status_updated_at = utcnow()
            instances.set_status(
                s, instance, Status.ACTIVE, "the instance is ready", operating=operating
            )


class MarkDeleting(Step):
    name = "mark_deleting"

    def do(self, ctx: StepContext) -> None:
        with ctx.db.write() as s:
            instance = s.get(Instance, ctx.resource_id)
            if instance is not None and instance.deleted_at is None:
                instances.set_status(
                    s, instance, Status.DELETING, "delete requested", operating="SHUTDOWN"
                )


class MarkDeleted(Step):
    """Release the addresses and hide the record (kept for history, like Trove)."""

    name = "mark_deleted"

    def do(self, ctx: StepContext) -> None:
        with ctx.db.write() as s:
            networks.release_ports(s, ctx.resource_id)
            instance = s.get(Instance, ctx.resource_id)
            if instance is not None and instance.deleted_at is None:
                instance.deleted_at = utcnow()
                instances.record_event(s, instance, "deleted", "the instance was deleted")


class AccessApplied(Step):
    """Say that the firewall now enforces the instance's access."""

    name = "access_applied"

    def do(self, ctx: StepContext) -> None:
        with ctx.db.write() as s:
            instance = s.get(Instance, ctx.resource_id)
            if instance is not None and instance.deleted_at is None:
                instances.record_event(s, instance, "access", "the new access rules are enforced")


def mark_error(ctx: StepContext, what: str) -> None:
    """Leave the instance in ERROR with a fault a user can read (and detail for operators)."""
    with ctx.db.write() as s:
        instance = s.get(Instance, ctx.resource_id)
        if instance is None or instance.deleted_at is not None:
            return
        message = f"{what}: {ctx.error.get('message', 'unknown error')}"
        instances.set_fault(s, instance, message, ctx.error.get("detail"))
        instances.set_status(s, instance, Status.ERROR, message, operating=OperatingStatus.ERROR)
