"""A checkpoint written by another release resumes at the same step, found by name."""

from __future__ import annotations

import pytest

from strongroom.steps.base import Step, StepContext
from strongroom.worker.runner import _realign
from strongroom.workflows.base import Workflow

pytestmark = pytest.mark.unit


def step(name: str) -> Step:
    return type(name, (Step,), {"name": name, "do": lambda self, ctx: None})()


def flow(*names: str) -> Workflow:
    def nothing(_ctx: StepContext) -> None:
        return None

    return Workflow(name="w", steps=tuple(step(n) for n in names), on_failure=nothing)


def test_same_steps_keep_the_index() -> None:
    assert _realign(flow("a", "b", "c"), 1, {"_at_step": "b"}) == 1


def test_a_step_inserted_before_moves_the_index() -> None:
    assert _realign(flow("a", "new", "b", "c"), 1, {"_at_step": "b"}) == 2


def test_old_checkpoints_without_a_name_keep_the_index() -> None:
    assert _realign(flow("a", "b"), 1, {}) == 1
