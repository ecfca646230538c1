"""The mgmt (admin) use cases: every project's instances with their infrastructure (server,
volume, ports, job history), resetting a stuck instance's status through a job, and
force-deleting an instance in any state.

Only admins get here; what these views hold never reaches a user's response."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from strongroom.config import Settings
from strongroom.contracts.errors import Conflict, Forbidden, NotFound
from strongroom.domain.instance_status import OperatingStatus, Status
from strongroom.drivers.placement import Placement, placement_of
from strongroom.identity.context import RequestContext
from strongroom.jobs.admin_kinds import FORCE_DELETE_INSTANCE, RESET_STATUS
from strongroom.jobs.queue import CANCELLED, UNFINISHED, JobQueue
from strongroom.pki import agent_records
from strongroom.store import backups, instances, networks
from strongroom.store.database import Database, utcnow
from strongroom.store.models import Backup, Instance, Job, Network

JOB_HISTORY = 20


@dataclass(frozen=True)
class PortView:
    role: str
    network: str
    address: str


@dataclass(frozen=True)
class JobView:
    id: str
    workflow: str
    state: str
    direction: str
    step_index: int
    attempts: int
    error_code: str | None
    error_message: str | None
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class AdminRecord:
    """The instance's record as operators see it (fault detail included)."""

    id: str
    name: str
    project_id: str
    status: str
    operating_status: str
    flavor_id: str
    datastore: str
    datastore_version: str
    volume_size: int
    volume_used: float | None
    fault_message: str | None
    fault_details: str | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None

    @classmethod
    def of(cls, row: Instance) -> AdminRecord:
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class MgmtInstanceView:
    instance: AdminRecord
    placement: Placement
    ports: tuple[PortView, ...]
    jobs: tuple[JobView, ...]
    # Expiry of the certificate the agent last served (the rotation duty records it).
    agent_certificate_expires: datetime | None = None

    @property
    def management_address(self) -> str | None:
        return next((p.address for p in self.ports if p.role == "management"), None)


@dataclass(frozen=True)
class MgmtFilter:
    """Which instances a mgmt listing shows: every project's unless narrowed."""

    project_id: str | None = None
    status: str | None = None
    include_deleted: bool = False
    limit: int = 1000


class MgmtService:
    def __init__(self, settings: Settings, db: Database, queue: JobQueue) -> None:
        self.settings = settings
        self.db = db
        self.queue = queue

    def list(self, ctx: RequestContext, where: MgmtFilter) -> list[MgmtInstanceView]:
        _require_admin(ctx)
        with self.db.read() as s:
            query = select(Instance)
            if not where.include_deleted:
                query = query.where(Instance.deleted_at.is_(None))
            if where.project_id is not None:
                query = query.where(Instance.project_id == where.project_id)
            if where.status is not None:
                query = query.where(Instance.status == where.status.upper())
            rows = s.scalars(query.order_by(Instance.created_at, Instance.id).limit(where.limit))
            return [self._view(s, row, history=0) for row in rows.all()]

    def get(self, ctx: RequestContext, instance_id: str) -> MgmtInstanceView:
        _require_admin(ctx)
        with self.db.read() as s:
            row = s.get(Instance, instance_id)
            if row is None:
                raise NotFound(f"No instance with id {instance_id} could be found.")
            return self._view(s, row, history=JOB_HISTORY)

    def reset_status(self, ctx: RequestContext, instance_id: str) -> None:
        """Queue a job that sets the instance's status from what its agent reports now
        (ACTIVE when the engine runs, else ERROR with a fault, so it can be deleted)."""
        _require_admin(ctx)
        if not ctx.can_write:
            raise Forbidden("the reader role may only read")
        with self.db.write() as s:
            row = instances.get_live(s, instance_id)
            if row is None:
                raise NotFound(f"No instance with id {instance_id} could be found.")
            if row.status == Status.DELETING:
                raise Conflict(f"Instance {instance_id} is being deleted.")
            busy = _unfinished_job(s, instance_id)
            if busy is not None:
                raise Conflict(
                    f"Instance {instance_id} has an unfinished {busy.workflow} job ({busy.id}); "
                    "a worker resumes it when its lease expires."
                )
            instances.record_event(s, row, "admin", "status reset requested by an administrator")
            self.queue.enqueue(s, RESET_STATUS, row.id, payload={})

    def force_delete(self, ctx: RequestContext, instance_id: str) -> None:
        """Delete the instance whatever its state (BUILD with a stuck or crashed job, ERROR,
        DELETING): every unfinished job on it is cancelled (a worker still running one loses
        it at its next write) and a force delete job tears everything down."""
        _require_admin(ctx)
        if not ctx.can_write:
            raise Forbidden("the reader role may only read")
        with self.db.write() as s:
            row = instances.get_live(s, instance_id)
            if row is None:
                raise NotFound(f"No instance with id {instance_id} could be found.")
            superseded = _supersede(s, instance_id, "the instance was force-deleted")
            instances.set_status(
                s,
                row,
                Status.DELETING,
                "force delete requested by an administrator",
                operating="SHUTDOWN",
            )
            instances.record_event(s, row, "admin", "force delete requested by an administrator")
            payload = {"superseded": superseded}
            self.queue.enqueue(s, FORCE_DELETE_INSTANCE, row.id, payload=payload)

    def reset_to_error(self, ctx: RequestContext, instance_id: str) -> None:
        """Trove's `reset_status` on the instance path (admin): the unfinished jobs on it are
        cancelled and it is ERROR at once, so that a delete is accepted and starts now
        (`openstack database instance delete --force` does exactly these two calls)."""
        _require_admin(ctx)
        with self.db.write() as s:
            row = instances.get_live(s, instance_id)
            if row is None:
                raise NotFound(f"No instance with id {instance_id} could be found.")
            _supersede(s, instance_id, "the instance's status was reset by an administrator")
            message = "status reset to ERROR by an administrator"
            instances.set_fault(s, row, message, None)
            instances.set_status(s, row, Status.ERROR, message, operating=OperatingStatus.ERROR)

    def _view(self, s: Session, row: Instance, history: int) -> MgmtInstanceView:
        nets = {n.id: n.name for n in s.scalars(select(Network))}
        ports = tuple(
            PortView(p.role, nets.get(p.network_id, p.network_id), p.address)
            for p in sorted(networks.ports_of(s, row.id), key=lambda p: p.role)
        )
        return MgmtInstanceView(
            instance=AdminRecord.of(row),
            placement=placement_of(self.settings, row.id),
            ports=ports,
            jobs=tuple(_job_view(j) for j in _jobs_of(s, row.id, history)),
            agent_certificate_expires=agent_records.expiry(self.settings.pki_dir(), row.id),
        )


def _require_admin(ctx: RequestContext) -> None:
    if not ctx.is_admin:
        raise Forbidden("the mgmt API is for administrators")


def _supersede(s: Session, instance_id: str, why: str) -> list[str]:
    """Cancel the instance's unfinished jobs (their sealed secrets erased) and fail its
    running backups; the jobs' ids."""
    query = select(Job.id).where(Job.resource_id == instance_id, Job.state.in_(UNFINISHED))
    ids = list(s.scalars(query))
    running = select(Backup).where(Backup.instance_id == instance_id)
    for backup in s.scalars(running.where(Backup.status.in_(backups.RUNNING))).all():
        backups.set_fault(backup, backups.FAILED, f"The backup was cancelled: {why}.", None)
    if ids:
        now = utcnow()
        s.execute(
            update(Job)
            .where(Job.id.in_(ids), Job.state.in_(UNFINISHED))
            .values(
                state=CANCELLED,
                finished_at=now,
                updated_at=now,
                sealed_secrets=None,
                error_code="superseded",
                error_message="superseded by a force delete",
            )
            .execution_options(synchronize_session=False)
        )
    return ids


def _unfinished_job(s: Session, instance_id: str) -> Job | None:
    query = select(Job).where(Job.resource_id == instance_id, Job.state.in_(UNFINISHED))
    return s.scalars(query.limit(1)).first()


def _jobs_of(s: Session, instance_id: str, limit: int) -> Sequence[Job]:
    if limit <= 0:
        return []
    query = select(Job).where(Job.resource_id == instance_id)
    return s.scalars(query.order_by(Job.created_at.desc(), Job.id).limit(limit)).all()


def _job_view(job: Job) -> JobView:
    """What operators see of a job: never its payload, context or sealed secrets."""
    return JobView(
        id=job.id,
        workflow=job.workflow,
        state=job.state,
        direction=job.direction,
        step_index=job.step_index,
        attempts=job.attempts,
        error_code=job.error_code,
        error_message=job.error_message,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )
