"""Steps that bring an engine to its configuration group's values."""

from __future__ import annotations

from strongroom.datastores import load_catalog
from strongroom.domain.instance_status import Status
from strongroom.steps.base import RetryPolicy, Step, StepContext
from strongroom.steps.facts import load_facts
from strongroom.store import configurations, instances
from strongroom.store.models import Instance

RESTART_REQUIRED = "restart_required"  # ctx.state: names that wait for a restart
RESTARTED = "restarted"
SKIPPED = "skipped"
ENGINE_TIMEOUT_SECONDS = 300.0
_GONE = frozenset({Status.ERROR, Status.DELETING})


class ApplyConfiguration(Step):
    """Hand the group's values to the guest (what it uses *now*, so re-running is safe):
    dynamic ones are set live, the guest says which wait for a restart."""

    name = "apply_configuration"
    retry = RetryPolicy(attempts=5, backoff_seconds=0.5)

    def do(self, ctx: StepContext) -> None:
        with ctx.db.read() as s:
            instance = s.get(Instance, ctx.resource_id)
            if instance is None or instance.status in _GONE or instance.deleted_at is not None:
                ctx.state[SKIPPED] = True  # a create that failed or a delete that came first
                return
            values = configurations.overrides_of(s, ctx.resource_id)
        facts = load_facts(ctx)
        store = next(d for d in load_catalog() if d.name == facts.datastore)
        checked = store.check_values(values)
        dynamic = [p.name for p in store.parameters if p.dynamic and p.name in checked]
        pending = ctx.drivers.guest.apply_configuration(facts.guest_target(), checked, dynamic)
        ctx.state[RESTART_REQUIRED] = sorted(pending)


class RestartIfPending(Step):
    """For a group given at create: restart at once rather than leave a new instance in
    RESTART_REQUIRED."""

    name = "restart_if_pending"
    retry = RetryPolicy(attempts=5, backoff_seconds=0.5)

    def do(self, ctx: StepContext) -> None:
        if not (ctx.payload.get("restart_now") and ctx.state.get(RESTART_REQUIRED)):
            return
        target = load_facts(ctx).guest_target()
        ctx.drivers.guest.restart(target, ENGINE_TIMEOUT_SECONDS)
        ctx.state[RESTART_REQUIRED] = []
        ctx.state[RESTARTED] = True


class ConfigurationApplied(Step):
    """Say what happened; values that wait for a restart put the instance in
    RESTART_REQUIRED (a restart brings it back to ACTIVE)."""

    name = "configuration_applied"

    def do(self, ctx: StepContext) -> None:
        pending = ctx.state.get(RESTART_REQUIRED, [])
        if ctx.state.get(SKIPPED):
            return
        with ctx.db.write() as s:
            instance = s.get(Instance, ctx.resource_id)
            if instance is None or instance.deleted_at is not None:
                return
            if not pending:
                how = "with a restart" if ctx.state.get(RESTARTED) else "live"
                instances.record_event(s, instance, "configuration", f"configuration applied {how}")
                return
            names = ", ".join(pending)
            if instance.status == Status.ACTIVE:
                instances.set_status(
                    s, instance, Status.RESTART_REQUIRED, f"a restart applies {names}"
                )
            else:
                instances.record_event(s, instance, "configuration", f"a restart applies {names}")


def configuration_not_applied(ctx: StepContext) -> None:
    """The guest refused: the instance goes back to the group it used before."""
    with ctx.db.write() as s:
        instance = s.get(Instance, ctx.resource_id)
        if instance is None or instance.deleted_at is not None:
            return
        configurations.attach(s, instance.id, ctx.payload.get("previous"))
        reason = ctx.error.get("message", "unknown error")
        instances.record_event(s, instance, "configuration", f"configuration not applied: {reason}")
