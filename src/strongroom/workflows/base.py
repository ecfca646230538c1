"""A workflow is a named list of steps plus what to do when it fails for good."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from strongroom.steps.base import Step, StepContext


@dataclass(frozen=True)
class Workflow:
    name: str
    steps: tuple[Step, ...]
    # Called once, after every completed step was undone, with ctx.error filled in.
    on_failure: Callable[[StepContext], None]
    # Workflows that, when queued behind this one on the same resource, make it stop early
    # (a delete requested while the create is still building).
    yields_to: frozenset[str] = field(default_factory=frozenset)
    # Roll back completed steps on failure (create) or stop where it failed (delete).
    rollback: bool = True
