"""Switch an optional engine log through the guest; a refusal puts the switch back."""

from __future__ import annotations

from strongroom.steps.base import RetryPolicy, Step, StepContext
from strongroom.steps.facts import load_facts
from strongroom.store import accounts, instances
from strongroom.store.models import Instance


class SwitchLog(Step):
    name = "switch_log"
    retry = RetryPolicy(attempts=5, backoff_seconds=0.5)

    def do(self, ctx: StepContext) -> None:
        target = load_facts(ctx).guest_target()
        ctx.drivers.guest.set_log_enabled(target, ctx.payload["name"], ctx.payload["enabled"])
        with ctx.db.write() as s:
            instance = s.get(Instance, ctx.resource_id)
            if instance is not None:
                state = "enabled" if ctx.payload["enabled"] else "disabled"
                instances.record_event(s, instance, "logs", f"log {ctx.payload['name']} {state}")


def log_not_switched(ctx: StepContext) -> None:
    with ctx.db.write() as s:
        instance = s.get(Instance, ctx.resource_id)
        if instance is None or instance.deleted_at is not None:
            return
        accounts.set_log_switch(s, instance.id, ctx.payload["name"], ctx.payload["previous"])
        reason = ctx.error.get("message", "unknown error")
        instances.record_event(
            s, instance, "logs", f"log {ctx.payload['name']} not switched: {reason}"
        )
