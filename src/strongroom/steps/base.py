"""What a step is, and what it is given to work with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from strongroom.config import Settings
    from strongroom.drivers.registry import DriverSet
    from strongroom.store.database import Database


@dataclass(frozen=True)
class RetryPolicy:
    """How often a step that failed with a retryable error is tried again."""

    attempts: int = 3
    backoff_seconds: float = 1.0


@dataclass
class StepContext:
    """Everything a step may use. `state` is checkpointed after every step."""

    job_id: str
    resource_id: str
    payload: dict[str, Any]
    secrets: dict[str, Any]
    state: dict[str, Any]
    db: Database
    drivers: DriverSet
    settings: Settings
    error: dict[str, Any] = field(default_factory=dict)


class Step:
    """A small idempotent unit of work. `do` and `undo` must be safe to run again after a
    crash at any point inside them; `undo` must tolerate `do` never having run."""

    name: ClassVar[str] = "step"
    retry: ClassVar[RetryPolicy] = RetryPolicy()

    def do(self, ctx: StepContext) -> None:
        raise NotImplementedError

    def undo(self, ctx: StepContext) -> None:
        """Default: nothing to undo."""
