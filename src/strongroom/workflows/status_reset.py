"""Admin workflows (started through the mgmt API): the status reset (and the force delete)."""

from __future__ import annotations

from strongroom.jobs.admin_kinds import RESET_STATUS
from strongroom.steps.instance_record import mark_error
from strongroom.steps.status_reset import SettleStatus
from strongroom.workflows.base import Workflow
from strongroom.workflows.force_delete import force_delete_instance

reset_status = Workflow(
    name=RESET_STATUS,
    steps=(SettleStatus(),),
    on_failure=lambda ctx: mark_error(ctx, "the status could not be reset"),
    rollback=False,
)

ADMIN_WORKFLOWS: dict[str, Workflow] = {
    reset_status.name: reset_status,
    force_delete_instance.name: force_delete_instance,
}
