"""A worker asked to stop between steps gives its job back, except when the job has nothing
left to do: then it closes it, so no job sits unfinished with all of its work done."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from strongroom.drivers.registry import build_drivers
from strongroom.jobs.queue import JobQueue
from strongroom.keyring import SecretBox
from strongroom.steps.base import Step, StepContext
from strongroom.store.models import Job
from strongroom.worker.runner import JobRunner
from strongroom.workflows.base import Workflow
from tests.support.controlplane import ControlPlane

pytestmark = pytest.mark.functional


class Flip(Step):
    """A step that asks the worker to stop once it has run (a shutdown arriving mid-step)."""

    def __init__(self, name: str, stop: list[bool], stop_after: bool) -> None:
        self.name = name  # type: ignore[misc]
        self.stop = stop
        self.stop_after = stop_after

    def do(self, ctx: StepContext) -> None:
        if self.stop_after:
            self.stop[0] = True


def run_once(plane: ControlPlane, stop_after_step: int) -> str:
    stop = [False]
    steps = tuple(Flip(f"step{i}", stop, i == stop_after_step) for i in range(2))
    workflow = Workflow(name="two_steps", steps=steps, on_failure=lambda ctx: None)
    queue = JobQueue(plane.db, SecretBox(Fernet.generate_key()))
    with plane.db.write() as s:
        job_id = queue.enqueue(s, "two_steps", "resource-1", payload={})
    runner = JobRunner(
        plane.settings,
        plane.db,
        queue,
        build_drivers(plane.settings),
        {"two_steps": workflow},
        "worker-test",
        stopping=lambda: stop[0],
    )
    claimed = queue.claim("worker-test", 30)
    assert claimed is not None and claimed.id == job_id
    runner.run(claimed)
    with plane.db.read() as s:
        job = s.scalars(select(Job).where(Job.id == job_id)).one()
        return f"{job.state} at {job.step_index}"


def test_a_stop_after_the_last_step_closes_the_job(plane: ControlPlane) -> None:
    assert run_once(plane, stop_after_step=1) == "succeeded at 2"


def test_a_stop_before_the_last_step_gives_the_job_back(plane: ControlPlane) -> None:
    assert run_once(plane, stop_after_step=0) == "running at 1"
