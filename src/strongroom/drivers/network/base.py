"""The network driver interface."""

from __future__ import annotations

from typing import Protocol

from strongroom.domain.firewall import FirewallRule
from strongroom.drivers.specs import SandboxSpec


class NetworkDriver(Protocol):
    def plug(self, spec: SandboxSpec) -> None:
        """Attach the sandbox's ports to their networks (idempotent)."""

    def unplug(self, instance_id: str) -> None:
        """Detach every port of the instance; missing ones are fine."""

    def apply_firewall(self, instance_id: str, rules: tuple[FirewallRule, ...]) -> None:
        """Replace the instance's inbound rules atomically; everything else is dropped."""

    def remove_firewall(self, instance_id: str) -> None:
        """Remove the instance's rules; missing ones are fine."""

    def list_plugged(self) -> set[str]:
        """Instance ids with anything plugged (for the reconciler)."""
        ...
