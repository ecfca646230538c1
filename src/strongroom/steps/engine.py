"""Steps on the running engine and what it sits in: restart, new flavor limits, a larger
volume. Each guest call waits until the engine runs (or is down) as asked."""

from __future__ import annotations

from strongroom.contracts.errors import InfrastructureError
from strongroom.domain.instance_status import OperatingStatus, Status
from strongroom.steps.base import RetryPolicy, Step, StepContext
from strongroom.steps.facts import load_facts
from strongroom.store import catalog, instances
from strongroom.store.models import Flavor, Instance

ENGINE_TIMEOUT_SECONDS = 300.0
ENGINE_RETRY = RetryPolicy(attempts=5, backoff_seconds=0.5)


def _flavor(ctx: StepContext) -> Flavor:
    with ctx.db.read() as s:
        flavor = catalog.find_flavor(s, ctx.payload["flavor_id"])
    if flavor is None:
        raise InfrastructureError(f"flavor {ctx.payload['flavor_id']} no longer exists")
    return flavor


class RestartEngine(Step):
    name = "restart_engine"
    retry = ENGINE_RETRY

    def do(self, ctx: StepContext) -> None:
        target = load_facts(ctx).guest_target()
        ctx.drivers.guest.restart(target, ENGINE_TIMEOUT_SECONDS)


class StopEngine(Step):
    """Stop the engine (the agent stays); the undo starts it again."""

    name = "stop_engine"
    retry = ENGINE_RETRY

    def do(self, ctx: StepContext) -> None:
        ctx.drivers.guest.stop_engine(load_facts(ctx).guest_target(), ENGINE_TIMEOUT_SECONDS)

    def undo(self, ctx: StepContext) -> None:
        ctx.drivers.guest.start_engine(load_facts(ctx).guest_target(), ENGINE_TIMEOUT_SECONDS)


class StartEngine(Step):
    name = "start_engine"
    retry = ENGINE_RETRY

    def do(self, ctx: StepContext) -> None:
        ctx.drivers.guest.start_engine(load_facts(ctx).guest_target(), ENGINE_TIMEOUT_SECONDS)


class ResizeEngine(Step):
    """Size the engine for the new flavor (one restart)."""

    name = "resize_engine"
    retry = ENGINE_RETRY

    def do(self, ctx: StepContext) -> None:
        flavor = _flavor(ctx)
        target = load_facts(ctx).guest_target()
        ctx.drivers.guest.resize(target, flavor.ram, flavor.vcpus, ENGINE_TIMEOUT_SECONDS)


class ResizeSandbox(Step):
    """The new flavor's memory and CPU limits on the sandbox."""

    name = "resize_sandbox"
    retry = ENGINE_RETRY

    def do(self, ctx: StepContext) -> None:
        flavor = _flavor(ctx)
        ctx.drivers.compute.resize_sandbox(ctx.resource_id, flavor.ram, flavor.vcpus)


class StopSandbox(Step):
    """Stop the agent: its mount namespace is a copy taken at its start, so it would not see
    the volume mounted again after an offline grow; the undo starts it again."""

    name = "stop_sandbox"
    retry = ENGINE_RETRY

    def do(self, ctx: StepContext) -> None:
        ctx.drivers.compute.stop_agent(ctx.resource_id)

    def undo(self, ctx: StepContext) -> None:
        ctx.drivers.compute.start_agent(ctx.resource_id)


class StartSandbox(Step):
    name = "start_sandbox"
    retry = ENGINE_RETRY

    def do(self, ctx: StepContext) -> None:
        ctx.drivers.compute.start_agent(ctx.resource_id)


class GrowVolume(Step):
    name = "grow_volume"
    retry = ENGINE_RETRY

    def do(self, ctx: StepContext) -> None:
        ctx.drivers.volume.grow(ctx.resource_id, ctx.payload["size"])


class BackToActive(Step):
    """The action is done: ACTIVE again, with what changed recorded on the instance."""

    name = "back_to_active"

    def do(self, ctx: StepContext) -> None:
        with ctx.db.write() as s:
            instance = s.get(Instance, ctx.resource_id)
            if instance is None or instance.deleted_at is not None:
                return
            if "flavor_id" in ctx.payload:
                instance.flavor_id = ctx.payload["flavor_id"]
            if "size" in ctx.payload:
                instance.volume_size = ctx.payload["size"]
            instances.set_status(
                s, instance, Status.ACTIVE, ctx.payload["done"], operating=OperatingStatus.HEALTHY
            )


def action_refused(ctx: StepContext) -> None:
    """An action that was rolled back (the engine runs as before): ACTIVE, and why."""
    with ctx.db.write() as s:
        instance = s.get(Instance, ctx.resource_id)
        if instance is None or instance.deleted_at is not None:
            return
        reason = ctx.error.get("message", "unknown error")
        instances.set_status(s, instance, Status.ACTIVE, f"{ctx.payload['failed']}: {reason}")
