"""Durable jobs in the control DB.

A job is claimed with a lease (owner + expiry). The owner renews the lease while it works
and writes a checkpoint after every step; every write is conditional on still owning the
lease, so a worker that lost its lease (it stalled, another worker took over) can never
overwrite the new owner's progress. Jobs on the same resource run one at a time, in order.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from strongroom.keyring import SecretBox
from strongroom.store.database import Database, utcnow
from strongroom.store.models import Job

PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED = (
    "pending",
    "running",
    "succeeded",
    "failed",
    "cancelled",
)
UNFINISHED = (PENDING, RUNNING)


class LeaseLost(Exception):
    """This worker no longer owns the job; it must stop touching it at once."""


@dataclass
class ClaimedJob:
    id: str
    workflow: str
    resource_id: str
    payload: dict[str, Any]
    secrets: dict[str, Any]
    direction: str
    step_index: int
    context: dict[str, Any]
    attempts: int
    error_code: str | None = None
    error_message: str | None = None


class JobQueue:
    def __init__(self, db: Database, box: SecretBox) -> None:
        self.db = db
        self.box = box

    def enqueue(
        self,
        session: Session,
        workflow: str,
        resource_id: str,
        payload: dict[str, Any],
        secrets: dict[str, Any] | None = None,
    ) -> str:
        """Add a job inside the caller's transaction (the intent and its job commit together)."""
        now = utcnow()
        job = Job(
            id=str(uuid.uuid4()),
            workflow=workflow,
            resource_id=resource_id,
            payload=payload,
            sealed_secrets=self.box.seal(json.dumps(secrets).encode()) if secrets else None,
            state=PENDING,
            direction="do",
            step_index=0,
            context={},
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        session.add(job)
        return job.id

    def claim(self, owner: str, lease_seconds: float) -> ClaimedJob | None:
        """Take the oldest runnable job whose lease is free, or None."""
        with self.db.write() as s:
            now = utcnow()
            earlier = aliased(Job)
            blocked = exists().where(
                earlier.resource_id == Job.resource_id,
                earlier.state.in_(UNFINISHED),
                or_(
                    earlier.created_at < Job.created_at,
                    and_(earlier.created_at == Job.created_at, earlier.id < Job.id),
                ),
            )
            query = (
                select(Job)
                .where(Job.state.in_(UNFINISHED), _lease_free(now), ~blocked)
                .order_by(Job.created_at, Job.id)
                .limit(1)
            )
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True, of=Job)
            job = s.scalars(query).first()
            if job is None:
                return None
            job.state = RUNNING
            job.lease_owner = owner
            job.lease_expires_at = now + timedelta(seconds=lease_seconds)
            job.attempts += 1
            job.updated_at = now
            secrets = json.loads(self.box.open(job.sealed_secrets)) if job.sealed_secrets else {}
            return ClaimedJob(
                id=job.id,
                workflow=job.workflow,
                resource_id=job.resource_id,
                payload=dict(job.payload),
                secrets=secrets,
                direction=job.direction,
                step_index=job.step_index,
                context=dict(job.context),
                attempts=job.attempts,
                error_code=job.error_code,
                error_message=job.error_message,
            )

    def renew(self, job_id: str, owner: str, lease_seconds: float) -> None:
        self._owned_update(
            job_id, owner, lease_expires_at=utcnow() + timedelta(seconds=lease_seconds)
        )

    def checkpoint(
        self,
        job_id: str,
        owner: str,
        *,
        direction: str,
        step_index: int,
        context: dict[str, Any],
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None:
        self._owned_update(
            job_id,
            owner,
            direction=direction,
            step_index=step_index,
            context=context,
            error_code=error_code,
            error_message=error_message,
        )

    def finish(self, job_id: str, owner: str, state: str, *, drop_secrets: bool = True) -> None:
        """Close the job; its sealed secrets are erased, they are never needed again."""
        values: dict[str, Any] = {"state": state, "finished_at": utcnow(), "lease_owner": None}
        if drop_secrets:
            values["sealed_secrets"] = None
        self._owned_update(job_id, owner, **values)

    def release(self, job_id: str, owner: str) -> None:
        """Give the job back (the worker is shutting down); any worker may resume it now."""
        self._owned_update(job_id, owner, lease_expires_at=None)

    def newer_job_waiting(self, job_id: str, resource_id: str, workflows: set[str]) -> bool:
        """Whether a job of one of `workflows` is queued behind this one on the same resource."""
        with self.db.read() as s:
            me = s.get(Job, job_id)
            if me is None:
                return False
            query = select(Job.id).where(
                Job.resource_id == resource_id,
                Job.id != job_id,
                Job.state == PENDING,
                Job.workflow.in_(workflows),
                Job.created_at >= me.created_at,
            )
            return s.scalars(query.limit(1)).first() is not None

    def _owned_update(self, job_id: str, owner: str, **values: Any) -> None:
        values.setdefault("updated_at", utcnow())
        with self.db.write() as s:
            result = s.execute(
                update(Job)
                .where(Job.id == job_id, Job.lease_owner == owner, Job.state == RUNNING)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise LeaseLost(job_id)


def _lease_free(now: datetime) -> Any:
    return or_(Job.lease_expires_at.is_(None), Job.lease_expires_at < now)
