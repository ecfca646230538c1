"""The guest driver interface."""

from __future__ import annotations

from typing import Protocol

from strongroom.drivers.specs import GuestHealth, GuestTarget, PrepareSpec


class GuestDriver(Protocol):
    def prepare(self, target: GuestTarget, spec: PrepareSpec, timeout_seconds: float) -> None:
        """Converge the guest to `spec` and wait until it is done (idempotent)."""

    def health(self, target: GuestTarget) -> GuestHealth:
        """Ask the agent how the instance is; never raises for an unreachable agent."""
        ...
