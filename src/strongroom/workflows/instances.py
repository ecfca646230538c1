"""Create and delete an instance. Delete is create's undo, in reverse, tolerant of gaps."""

from __future__ import annotations

from strongroom.jobs.kinds import CREATE_INSTANCE, DELETE_INSTANCE, UPDATE_ACCESS
from strongroom.steps.backups import RestoreBackup
from strongroom.steps.base import Step, StepContext
from strongroom.steps.certificates import InstallCertificates
from strongroom.steps.compute import CreateSandbox, InstallAgentFiles, StartAgent
from strongroom.steps.guest import PrepareGuest
from strongroom.steps.instance_record import (
    AccessApplied,
    MarkActive,
    MarkDeleted,
    MarkDeleting,
    mark_error,
)
from strongroom.steps.logs import DiscardPublishedLogs
from strongroom.steps.network import AllocatePorts, ApplyFirewall, PlugPorts
from strongroom.steps.readiness import WaitForAgent
from strongroom.steps.volume import CreateVolume
from strongroom.workflows.base import Workflow

CREATE = CREATE_INSTANCE
DELETE = DELETE_INSTANCE

# What an instance is made of, in the order it is built. The agent starts as soon as its
# sandbox and volume exist (it sees the mounts present at its start): its Python start-up,
# the longest part of a create, overlaps the steps after it. It waits for its configuration,
# written last (after the firewall and its certificates), before it does anything else.
_BUILD: tuple[Step, ...] = (
    AllocatePorts(),
    CreateSandbox(),
    CreateVolume(),
    StartAgent(),
    PlugPorts(),
    ApplyFirewall(),
    InstallCertificates(),
    InstallAgentFiles(),
)


class Teardown(Step):
    """Run a build step's undo as a step of its own."""

    def __init__(self, step: Step) -> None:
        self.step = step
        self.name = f"teardown_{step.name}"  # type: ignore[misc]
        self.retry = step.retry  # type: ignore[misc]

    def do(self, ctx: StepContext) -> None:
        self.step.undo(ctx)


create_instance = Workflow(
    name=CREATE,
    steps=(*_BUILD, WaitForAgent(), RestoreBackup(), PrepareGuest(), MarkActive()),
    on_failure=lambda ctx: mark_error(ctx, "the instance could not be created"),
    yields_to=frozenset({DELETE}),
)

delete_instance = Workflow(
    name=DELETE,
    steps=(
        MarkDeleting(),
        DiscardPublishedLogs(),
        *(Teardown(s) for s in reversed(_BUILD)),
        MarkDeleted(),
    ),
    on_failure=lambda ctx: mark_error(ctx, "the instance could not be deleted"),
    rollback=False,
)

update_access = Workflow(
    name=UPDATE_ACCESS,
    steps=(ApplyFirewall(), AccessApplied()),
    on_failure=lambda ctx: mark_error(ctx, "the new access rules could not be applied"),
    rollback=False,  # the previous rules stay in force until the new set replaces them
)
