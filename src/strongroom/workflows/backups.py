"""Take a backup of an instance, and delete one."""

from __future__ import annotations

from strongroom.jobs import kinds
from strongroom.steps.backups import (
    DeleteBackupObject,
    DeleteInstanceAfterBackup,
    DropBackupRecord,
    MarkBackupBuilding,
    StreamBackup,
    backup_delete_failed,
    fail_backup,
)
from strongroom.workflows.base import Workflow

# Runs on the instance (resource id), so it never interleaves with a restart or resize;
# the instance stays ACTIVE and serving meanwhile. A failure is handled in `fail_backup`
# (FAILED with a fault, the object removed), not by undoing: a COMPLETED backup is kept.
create_backup = Workflow(
    name=kinds.CREATE_BACKUP,
    steps=(MarkBackupBuilding(), StreamBackup(), DeleteInstanceAfterBackup()),
    on_failure=fail_backup,
    rollback=False,
)

delete_backup = Workflow(
    name=kinds.DELETE_BACKUP,
    steps=(DeleteBackupObject(), DropBackupRecord()),
    on_failure=backup_delete_failed,
    rollback=False,
)

BACKUP_WORKFLOWS: tuple[Workflow, ...] = (create_backup, delete_backup)
