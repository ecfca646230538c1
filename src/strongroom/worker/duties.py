"""Periodic duties of the worker (health manager, reconciler, ...): a name, a period, a call."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class Duty:
    name: str
    period_seconds: float
    run: Callable[[], None]
    next_at: float = field(default=0.0)


class DutySchedule:
    def __init__(self, duties: list[Duty]) -> None:
        self.duties = duties

    def run_due(self) -> None:
        """Run every duty whose time has come; one failing duty never stops the others."""
        now = time.monotonic()
        for duty in self.duties:
            if now < duty.next_at:
                continue
            duty.next_at = now + duty.period_seconds
            try:
                duty.run()
            except Exception:
                log.exception("periodic duty %s failed", duty.name)
