"""The compute driver interface."""

from __future__ import annotations

from typing import Protocol

from strongroom.drivers.specs import GuestPaths, SandboxSpec
from strongroom.drivers.usage import SandboxUsage


class ComputeDriver(Protocol):
    def validate(self, spec: SandboxSpec) -> None:
        """Cheap checks, no I/O; raise BadRequest for what this backend cannot do."""

    def create_sandbox(self, spec: SandboxSpec) -> None:
        """Create the sandbox (idempotent: an existing one is left as it is)."""

    def delete_sandbox(self, instance_id: str) -> None:
        """Remove the sandbox and everything running in it; a missing one is fine."""

    def install_files(self, instance_id: str, files: dict[str, bytes]) -> None:
        """Hand files (agent config, certificates) to the sandbox, never over the wire."""

    def guest_paths(self, instance_id: str) -> GuestPaths:
        """Paths inside the sandbox for the agent's configuration (no I/O)."""
        ...

    def start_agent(self, instance_id: str) -> None:
        """Start the guest agent detached (idempotent: a running agent is kept)."""

    def stop_agent(self, instance_id: str) -> None:
        """Stop the guest agent; a stopped one is fine."""

    def list_sandboxes(self) -> set[str]:
        """Instance ids of every sandbox that exists (for the reconciler)."""
        ...

    def resize_sandbox(self, instance_id: str, ram_mb: int, vcpus: int) -> None:
        """Apply a new flavor's limits to an existing sandbox (what runs in it stays)."""

    def sandbox_usage(self, instance_id: str) -> SandboxUsage:
        """CPU, memory (use and limit), OOM kills, processes, network bytes of its interfaces
        and I/O on its volume, read on the host; `InfrastructureError` for a missing sandbox."""
        ...
