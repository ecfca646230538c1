"""An administrator's force delete: the jobs working on the instance are superseded (the
service cancels them), then the delete's own steps run, whatever state the instance is in."""

from __future__ import annotations

from strongroom.jobs.admin_kinds import FORCE_DELETE_INSTANCE
from strongroom.steps.instance_record import mark_error
from strongroom.steps.supersede import AwaitSupersededJobs
from strongroom.workflows.base import Workflow
from strongroom.workflows.instances import delete_instance

force_delete_instance = Workflow(
    name=FORCE_DELETE_INSTANCE,
    steps=(AwaitSupersededJobs(), *delete_instance.steps),
    on_failure=lambda ctx: mark_error(ctx, "the instance could not be force deleted"),
    rollback=False,
)
