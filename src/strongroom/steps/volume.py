"""Steps on the data volume."""

from __future__ import annotations

from strongroom.steps.base import Step, StepContext
from strongroom.steps.facts import load_facts


class CreateVolume(Step):
    name = "create_volume"

    def do(self, ctx: StepContext) -> None:
        ctx.drivers.volume.create(ctx.resource_id, load_facts(ctx).volume_size)

    def undo(self, ctx: StepContext) -> None:
        ctx.drivers.volume.delete(ctx.resource_id)
