"""The dispatcher table: job workflow name -> workflow."""

from __future__ import annotations

from strongroom.workflows.accounts import ACCOUNT_WORKFLOWS
from strongroom.workflows.actions import ACTION_WORKFLOWS
from strongroom.workflows.backups import BACKUP_WORKFLOWS
from strongroom.workflows.base import Workflow
from strongroom.workflows.configuration import apply_configuration
from strongroom.workflows.instances import create_instance, delete_instance, update_access
from strongroom.workflows.logs import discard_log, publish_log, switch_log

WORKFLOWS: dict[str, Workflow] = {
    w.name: w
    for w in (
        create_instance,
        delete_instance,
        update_access,
        *ACCOUNT_WORKFLOWS,
        apply_configuration,
        *ACTION_WORKFLOWS,
        switch_log,
        *BACKUP_WORKFLOWS,
        publish_log,
        discard_log,
    )
}
