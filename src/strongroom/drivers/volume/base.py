"""The volume driver interface."""

from __future__ import annotations

from typing import Protocol


class VolumeDriver(Protocol):
    def create(self, instance_id: str, size_gib: int) -> None:
        """Create and attach the volume (idempotent)."""

    def delete(self, instance_id: str) -> None:
        """Detach and destroy the volume; a missing one is fine."""

    def list_volumes(self) -> set[str]:
        """Instance ids that have a volume (for the reconciler)."""
        ...

    def grow(self, instance_id: str, size_gib: int) -> None:
        """Grow the volume and its file system to `size_gib`, leaving it mounted (the same size
        again completes an interrupted grow). Its users must be stopped where the backend
        grows offline. Shrinking raises BadRequest."""
