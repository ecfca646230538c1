"""Run one claimed job: steps forward with checkpoints; on failure, undo in reverse."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from strongroom.config import Settings
from strongroom.contracts.errors import StrongroomError
from strongroom.drivers.registry import DriverSet
from strongroom.jobs.queue import CANCELLED, FAILED, SUCCEEDED, ClaimedJob, JobQueue, LeaseLost
from strongroom.steps.base import Step, StepContext
from strongroom.store.database import Database
from strongroom.workflows.base import Workflow

log = logging.getLogger(__name__)

# A job whose worker died this many times is rolled back instead of tried again.
MAX_CLAIMS = 5


class JobRunner:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        queue: JobQueue,
        drivers: DriverSet,
        workflows: dict[str, Workflow],
        owner: str,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self.stopping = stopping
        self.settings = settings
        self.db = db
        self.queue = queue
        self.drivers = drivers
        self.workflows = workflows
        self.owner = owner
        self.checkpoints = 0

    def run(self, job: ClaimedJob) -> None:
        """Drive `job` to an end; returns early (harmlessly) if the lease is lost."""
        heartbeat = _Heartbeat(self.queue, job.id, self.owner, self.settings.worker.lease_seconds)
        heartbeat.start()
        try:
            self._drive(job, heartbeat)
        except LeaseLost:
            log.warning("job %s: lease lost, leaving it to its new owner", job.id)
        finally:
            heartbeat.stop()

    def _drive(self, job: ClaimedJob, heartbeat: _Heartbeat) -> None:
        workflow = self.workflows[job.workflow]
        ctx = StepContext(
            job_id=job.id,
            resource_id=job.resource_id,
            payload=job.payload,
            secrets=job.secrets,
            state=job.context,
            db=self.db,
            drivers=self.drivers,
            settings=self.settings,
            error=_stored_error(job),
        )
        direction, index = job.direction, _realign(workflow, job.step_index, job.context)
        if direction == "do" and job.attempts > MAX_CLAIMS:
            ctx.error = {"code": "worker_lost", "message": "the job's worker stopped too often"}
            direction, index = self._after_failure(job, workflow, ctx, index)
        while True:
            if direction == "failed":  # closed by `_after_failure` (no rollback)
                return
            heartbeat.raise_if_lost()
            # A job whose last step is done is closed even by a worker that is stopping.
            if direction == "do" and index >= len(workflow.steps):
                self.queue.finish(job.id, self.owner, SUCCEEDED)
                log.info("job %s (%s) succeeded", job.id, job.workflow)
                return
            if direction == "undo" and index < 0:
                self._fail(job, workflow, ctx)
                return
            if self.stopping():
                self.queue.release(job.id, self.owner)
                log.info("job %s released at step %d for shutdown", job.id, index)
                return
            if direction == "do":
                if workflow.yields_to and self.queue.newer_job_waiting(
                    job.id, job.resource_id, set(workflow.yields_to)
                ):
                    self.queue.finish(job.id, self.owner, CANCELLED)
                    log.info("job %s (%s) stopped for a newer job", job.id, job.workflow)
                    return
                step = workflow.steps[index]
                error = self._attempt(job, step, step.do, ctx)
                if error is None:
                    index += 1
                    self._checkpoint(job, "do", index, ctx)
                    continue
                ctx.error = error
                direction, index = self._after_failure(job, workflow, ctx, index)
            else:
                step = workflow.steps[index]
                error = self._attempt(job, step, step.undo, ctx)
                if error is not None:
                    ctx.error = {
                        **ctx.error,
                        "detail": f"{ctx.error.get('detail') or ''}; "
                        f"undo of {step.name} failed: {error.get('detail') or error['message']}",
                    }
                    self._fail(job, workflow, ctx)
                    return
                index -= 1
                self._checkpoint(job, "undo", index, ctx)

    def _after_failure(
        self, job: ClaimedJob, workflow: Workflow, ctx: StepContext, index: int
    ) -> tuple[str, int]:
        log.warning(
            "job %s (%s) failed at step %d: %s",
            job.id,
            job.workflow,
            index,
            ctx.error.get("detail") or ctx.error.get("message"),
        )
        if not workflow.rollback:
            self._fail(job, workflow, ctx)
            return "failed", index
        # The failed step may have half-done its work: its undo runs too.
        self._checkpoint(job, "undo", index, ctx)
        return "undo", index

    def _fail(self, job: ClaimedJob, workflow: Workflow, ctx: StepContext) -> None:
        workflow.on_failure(ctx)
        self.queue.finish(job.id, self.owner, FAILED)
        log.info("job %s (%s) failed and was rolled back", job.id, job.workflow)

    def _attempt(
        self, job: ClaimedJob, step: Step, action: Callable[[StepContext], None], ctx: StepContext
    ) -> dict[str, Any] | None:
        """Run a step action under its retry policy; the error as data, or None on success."""
        policy = step.retry
        for attempt in range(policy.attempts + 1):
            started = time.monotonic()
            try:
                action(ctx)
                log.info(
                    "job %s %s: %s %s done in %.3f s",
                    job.id,
                    job.workflow,
                    step.name,
                    action.__name__,
                    time.monotonic() - started,
                )
                return None
            except LeaseLost:
                raise
            except StrongroomError as exc:
                error = {"code": exc.code, "message": exc.message, "detail": exc.detail}
                if not exc.retryable or attempt == policy.attempts:
                    return error
            except Exception as exc:  # a bug in a step or driver: report it, never crash
                log.exception("job %s: step %s raised", job.id, step.name)
                return {
                    "code": "internal",
                    "message": "an internal error occurred",
                    "detail": f"{step.name}: {type(exc).__name__}: {exc}",
                }
            time.sleep(policy.backoff_seconds * (2**attempt))
        return None  # unreachable

    def _checkpoint(self, job: ClaimedJob, direction: str, index: int, ctx: StepContext) -> None:
        steps = self.workflows[job.workflow].steps
        ctx.state[_AT_STEP] = steps[index].name if 0 <= index < len(steps) else None
        self.queue.checkpoint(
            job.id,
            self.owner,
            direction=direction,
            step_index=index,
            context=ctx.state,
            error_code=ctx.error.get("code"),
            error_message=_encode_error(ctx.error),
        )
        self.checkpoints += 1
        if self.checkpoints == self.settings.worker.crash_after_checkpoint:
            log.warning(
                "fault injection: killing this worker after checkpoint %d", self.checkpoints
            )
            os.kill(os.getpid(), signal.SIGKILL)


_AT_STEP = "_at_step"


def _realign(workflow: Workflow, index: int, state: dict[str, Any]) -> int:
    """The checkpoint's step index in this code's step list.

    A checkpoint names the step it points at, so a job written by an older release whose
    workflow had other steps resumes at the same step, not at the same number.
    """
    name = state.get(_AT_STEP)
    names = [s.name for s in workflow.steps]
    if name is None or (0 <= index < len(names) and names[index] == name):
        return index
    return names.index(name) if name in names else index


def _encode_error(error: dict[str, Any]) -> str | None:
    if not error:
        return None
    return f"{error.get('message', '')}\n{error.get('detail') or ''}"


def _stored_error(job: ClaimedJob) -> dict[str, Any]:
    if not job.error_code:
        return {}
    message, _, detail = (job.error_message or "").partition("\n")
    return {"code": job.error_code, "message": message, "detail": detail or None}


class _Heartbeat:
    """Renews the lease in the background; remembers if it was lost."""

    def __init__(self, queue: JobQueue, job_id: str, owner: str, lease_seconds: float) -> None:
        self.queue, self.job_id, self.owner, self.lease = queue, job_id, owner, lease_seconds
        self._stop = threading.Event()
        self._lost = False
        self._thread = threading.Thread(target=self._loop, name=f"lease-{job_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def raise_if_lost(self) -> None:
        if self._lost:
            raise LeaseLost(self.job_id)

    def _loop(self) -> None:
        while not self._stop.wait(self.lease / 3):
            try:
                self.queue.renew(self.job_id, self.owner, self.lease)
            except LeaseLost:
                self._lost = True
                return
            except Exception:  # the DB hiccuped: try again at the next beat
                log.exception("job %s: lease renewal failed", self.job_id)
