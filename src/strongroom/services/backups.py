"""Backup use cases: request one (row NEW + its job, one transaction, quota checked under a
per-project lock), list, show, delete; and the checks an instance restore needs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.config import Settings
from strongroom.contracts.errors import BadRequest, Conflict, Forbidden, NotFound
from strongroom.domain.instance_status import Status
from strongroom.identity.context import RequestContext
from strongroom.jobs import kinds
from strongroom.jobs.queue import UNFINISHED, JobQueue
from strongroom.services.backup_quota import check_backup_quota
from strongroom.services.backup_registration import BackupRegistration, RegisterRequest
from strongroom.services.scope import check_write, visible_instance
from strongroom.store import accounts, backups, instances
from strongroom.store.database import Database, utcnow
from strongroom.store.models import Backup, Instance, Job

# An instance in these statuses has a running engine whose data can be streamed.
BACKUP_READY = frozenset({Status.ACTIVE, Status.RESTART_REQUIRED})
MAX_NAME_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 1024
GIB = 1024**3


@dataclass(frozen=True)
class BackupRequest:
    name: str
    instance_id: str
    description: str | None = None
    parent_id: str | None = None
    incremental: bool = False


@dataclass(frozen=True)
class BackupView:
    id: str
    project_id: str
    name: str
    description: str | None
    instance_id: str | None  # None: registered from a data location (`restore_from`)
    parent_id: str | None
    status: str
    datastore: str
    datastore_version: str
    size_bytes: int | None
    checksum: str | None
    location: str | None  # admins only (None for everyone else)
    fault_message: str | None
    fault_details: str | None
    created: datetime
    updated: datetime


@dataclass(frozen=True)
class RestoreSource:
    """What a create from a backup needs: the chain to restore (full first) and the
    accounts the backup's instance had when it was taken."""

    chain_ids: tuple[str, ...]
    datastore: str
    datastore_version: str
    accounts: dict[str, Any]


class BackupService:
    def __init__(self, settings: Settings, db: Database, queue: JobQueue) -> None:
        self.settings = settings
        self.db = db
        self.queue = queue

    def create(self, ctx: RequestContext, req: BackupRequest) -> BackupView:
        check_write(ctx)
        name = _checked_name(req.name)
        if req.description is not None and len(req.description) > MAX_DESCRIPTION_LENGTH:
            raise BadRequest(f"A backup description has at most {MAX_DESCRIPTION_LENGTH} chars.")
        with self.db.write() as s:
            instance = visible_instance(s, ctx, req.instance_id)
            parent = self._parent(s, instance, req)
            row = self.add_backup(s, instance, name, req.description, parent)
            return _view(row, admin=ctx.is_admin)

    def register(self, ctx: RequestContext, req: RegisterRequest) -> BackupView:
        """A COMPLETED backup of the caller's project from an object already in the store
        (`restore_from`; the router checks the admin-only rule `backup:restore_from`)."""
        check_write(ctx)
        name = _checked_name(req.name)
        if req.description is not None and len(req.description) > MAX_DESCRIPTION_LENGTH:
            raise BadRequest(f"A backup description has at most {MAX_DESCRIPTION_LENGTH} chars.")
        row = BackupRegistration(self.settings, self.db).register(ctx.project_id, name, req)
        return _view(row, admin=ctx.is_admin)

    def add_backup(
        self,
        s: Session,
        instance: Instance,
        name: str,
        description: str | None,
        parent: Backup | None,
        *,
        then_delete_instance: bool = False,
        scheduled: bool = False,
    ) -> Backup:
        """Check the instance and the quota, then write the row and its job."""
        if instance.status not in BACKUP_READY:
            raise Conflict(
                f"Instance {instance.id} is {instance.status}; a backup needs it ACTIVE."
            )
        backups.lock_project(s, instance.project_id)  # the checks below hold until commit
        if backups.running_for(s, instance.id) is not None:
            raise Conflict(f"Instance {instance.id} has a backup in progress already.")
        check_backup_quota(s, instance.project_id, self.settings.quotas)
        now = utcnow()
        row = Backup(
            id=str(uuid.uuid4()),
            project_id=instance.project_id,
            name=name,
            description=description,
            instance_id=instance.id,
            parent_id=parent.id if parent else None,
            kind=backups.INCREMENTAL if parent else backups.FULL,
            datastore=instance.datastore,
            datastore_version=instance.datastore_version,
            status=backups.NEW,
            accounts=_accounts_snapshot(s, instance.id),
            scheduled=scheduled,
            created_at=now,
            updated_at=now,
        )
        s.add(row)
        what = f"backup {name!r} requested ({row.kind})"
        instances.record_event(s, instance, "backup", what)
        payload = {"backup_id": row.id, "then_delete_instance": then_delete_instance}
        self.queue.enqueue(s, kinds.CREATE_BACKUP, instance.id, payload=payload)
        s.flush()
        return row

    def _parent(self, s: Session, instance: Instance, req: BackupRequest) -> Backup | None:
        if req.parent_id is not None:
            parent = backups.get(s, req.parent_id)
            if parent is None or parent.project_id != instance.project_id:
                raise NotFound(f"Backup {req.parent_id} could not be found.")
            if parent.instance_id != instance.id:
                raise BadRequest(f"Backup {parent.id} is not a backup of instance {instance.id}.")
            if parent.status != backups.COMPLETED:
                raise BadRequest(f"Backup {parent.id} is {parent.status}, not COMPLETED.")
            return parent
        if req.incremental:  # as Trove: a full when there is nothing to build on yet
            return backups.latest_completed(s, instance.id)
        return None

    def page(
        self,
        ctx: RequestContext,
        *,
        instance_id: str | None = None,
        datastore: str | None = None,
        all_projects: bool = False,
        of_live_instance: bool = False,
    ) -> list[BackupView]:
        """The caller's backups (filtered by `project` they never reveal another project's);
        `of_live_instance` (`/instances/{id}/backups`) wants the instance visible too, while
        `/backups?instance_id=` also finds the backups of a deleted instance."""
        if all_projects and not ctx.is_admin:
            raise Forbidden("Only administrators may list the backups of all projects.")
        project = None if all_projects else ctx.project_id
        limit = self.settings.api.max_page_size
        with self.db.read() as s:
            if instance_id is not None and of_live_instance:
                visible_instance(s, ctx, instance_id)
            rows = backups.list_backups(
                s, project, instance_id=instance_id, datastore=datastore, limit=limit
            )
            return [_view(r, admin=ctx.is_admin) for r in rows]

    def get(self, ctx: RequestContext, backup_id: str) -> BackupView:
        with self.db.read() as s:
            return _view(_visible(s, ctx, backup_id), admin=ctx.is_admin)

    def delete(self, ctx: RequestContext, backup_id: str) -> None:
        check_write(ctx)
        with self.db.write() as s:
            row = _visible(s, ctx, backup_id)
            if row.status in backups.RUNNING:
                raise Conflict(f"Backup {backup_id} is {row.status}; wait until it ends.")
            if row.status == backups.DELETING:
                raise Conflict(f"Backup {backup_id} is being deleted already.")
            if backups.children(s, backup_id):
                raise Conflict(
                    f"Backup {backup_id} has incremental backups based on it; delete them first."
                )
            if _restoring_from(s, backup_id):
                raise Conflict(f"Backup {backup_id} is being restored into a new instance.")
            backups.set_status(row, backups.DELETING)
            self.queue.enqueue(s, kinds.DELETE_BACKUP, row.id, payload={"backup_id": row.id})


def restore_source(s: Session, ctx: RequestContext, backup_id: str) -> RestoreSource:
    """The chain a new instance restores from `backup_id`; 404 for a backup the caller
    cannot see, 400 if it cannot be restored."""
    row = _visible(s, ctx, backup_id)
    if row.status != backups.COMPLETED:
        raise BadRequest(f"Backup {backup_id} is {row.status}; only COMPLETED ones restore.")
    try:
        chain = backups.chain(s, row)
    except LookupError as exc:
        raise BadRequest(f"Backup {backup_id} cannot be restored: {exc}.") from None
    return RestoreSource(
        chain_ids=tuple(b.id for b in chain),
        datastore=row.datastore,
        datastore_version=row.datastore_version,
        accounts=dict(row.accounts or {}),
    )


def _restoring_from(s: Session, backup_id: str) -> bool:
    """Whether an instance create that restores `backup_id` has not finished yet."""
    query = select(Job.payload).where(
        Job.workflow == kinds.CREATE_INSTANCE, Job.state.in_(UNFINISHED)
    )
    return any(backup_id in (p or {}).get("restore_chain", []) for p in s.scalars(query))


def _visible(s: Session, ctx: RequestContext, backup_id: str) -> Backup:
    row = backups.get(s, backup_id)
    if row is None or (row.project_id != ctx.project_id and not ctx.is_admin):
        raise NotFound(f"Backup {backup_id} could not be found.")
    return row


def _checked_name(name: str) -> str:
    stripped = name.strip()
    if not stripped or len(stripped) > MAX_NAME_LENGTH:
        raise BadRequest(f"A backup name must have 1 to {MAX_NAME_LENGTH} characters.")
    if any(ord(c) < 32 for c in stripped):
        raise BadRequest("A backup name must not contain control characters.")
    return stripped


def _accounts_snapshot(s: Session, instance_id: str) -> dict[str, Any]:
    """Names only (no secrets): what the restored instance's account mirror starts from."""
    return {
        "databases": [
            {"name": d.name, "character_set": d.character_set, "collate": d.collate}
            for d in accounts.databases_of(s, instance_id)
        ],
        "users": [
            {"name": u.name, "host": u.host, "databases": list(u.databases)}
            for u in accounts.users_of(s, instance_id)
        ],
    }


def _view(row: Backup, *, admin: bool) -> BackupView:
    return BackupView(
        id=row.id,
        project_id=row.project_id,
        name=row.name,
        description=row.description,
        instance_id=row.instance_id or None,
        parent_id=row.parent_id,
        status=row.status,
        datastore=row.datastore,
        datastore_version=row.datastore_version,
        size_bytes=row.size_bytes,
        checksum=row.checksum,
        location=row.location if admin else None,
        fault_message=row.fault_message,
        fault_details=row.fault_details if admin else None,
        created=row.created_at,
        updated=row.updated_at,
    )
