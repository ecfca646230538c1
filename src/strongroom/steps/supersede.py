"""A force delete's first step: let the jobs it superseded let go of the instance."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from strongroom.steps.base import Step, StepContext
from strongroom.store.database import utcnow
from strongroom.store.models import Job


class AwaitSupersededJobs(Step):
    """Wait until the lease of every job the force delete cancelled has run out (at most one
    lease period after the cancel): a worker still inside one of their steps cannot renew,
    checkpoint or finish any more, and the teardown that follows does not race its step.
    Anything such a step still creates later has no live record and no job: the reconciler
    removes it."""

    name = "await_superseded_jobs"

    def do(self, ctx: StepContext) -> None:
        ids = [str(i) for i in ctx.payload.get("superseded", [])]
        if not ids:
            return
        lease = timedelta(seconds=ctx.settings.worker.lease_seconds)
        with ctx.db.read() as s:
            jobs = s.scalars(select(Job).where(Job.id.in_(ids))).all()
            ends = [
                min(j.lease_expires_at, (j.finished_at or utcnow()) + lease)
                for j in jobs
                if j.lease_owner is not None and j.lease_expires_at is not None
            ]
        if ends:
            wait = (max(ends) - utcnow()).total_seconds()
            time.sleep(max(0.0, wait))
