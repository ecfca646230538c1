"""Instance actions: restart, resize to a flavor, grow the volume."""

from __future__ import annotations

from strongroom.jobs import kinds
from strongroom.steps.engine import (
    BackToActive,
    GrowVolume,
    ResizeEngine,
    ResizeSandbox,
    RestartEngine,
    StartEngine,
    StartSandbox,
    StopEngine,
    StopSandbox,
    action_refused,
)
from strongroom.steps.instance_record import mark_error
from strongroom.workflows.base import Workflow

restart_instance = Workflow(
    name=kinds.RESTART_INSTANCE,
    steps=(RestartEngine(), BackToActive()),
    on_failure=lambda ctx: mark_error(ctx, "the instance could not be restarted"),
    rollback=False,
)

# The engine is sized down before the limits shrink, and fits the new limits after a grow.
resize_flavor = Workflow(
    name=kinds.RESIZE_FLAVOR,
    steps=(ResizeEngine(), ResizeSandbox(), BackToActive()),
    on_failure=lambda ctx: mark_error(ctx, "the instance could not be resized"),
    rollback=False,
)

# Offline where the host cannot grow a mounted file system: the engine and its agent stop
# around it, and a failed grow starts them again (the undos) and leaves the instance ACTIVE.
resize_volume = Workflow(
    name=kinds.RESIZE_VOLUME,
    steps=(
        StopEngine(),
        StopSandbox(),
        GrowVolume(),
        StartSandbox(),
        StartEngine(),
        BackToActive(),
    ),
    on_failure=action_refused,
)

ACTION_WORKFLOWS: tuple[Workflow, ...] = (restart_instance, resize_flavor, resize_volume)
