"""The guest driver interface."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import NamedTuple, Protocol

from strongroom.contracts.agent import WalSegment, WalSwitch
from strongroom.contracts.backups import BackupKind, BackupTrailer, StreamEncoding
from strongroom.contracts.metrics import MetricsSample, QueryDigest
from strongroom.drivers.specs import (
    DatabaseSpec,
    GuestHealth,
    GuestLog,
    GuestLogChunk,
    GuestTarget,
    PrepareSpec,
    UserChange,
    UserSpec,
)


class BackupStreamSource(Protocol):
    """An engine's backup stream as it arrives: iterate `chunks()` to its end (a cut or
    failed stream raises `InfrastructureError`), then read `trailer()` (its checkpoint).
    `encoding`: whether the chunks are the native stream or one zstd frame of it."""

    @property
    def encoding(self) -> StreamEncoding: ...

    def chunks(self) -> Iterator[bytes]: ...

    def trailer(self) -> BackupTrailer: ...


class RestoreSource(NamedTuple):
    """One part of a restore: its kind, its data, and their encoding (the stored zstd frame,
    which the agent decompresses, or a native stream)."""

    kind: BackupKind
    chunks: Iterator[bytes]
    encoding: StreamEncoding = StreamEncoding.NATIVE


class GuestDriver(Protocol):
    def prepare(self, target: GuestTarget, spec: PrepareSpec, timeout_seconds: float) -> None:
        """Converge the guest to `spec` and wait until it is done (idempotent)."""

    def health(self, target: GuestTarget) -> GuestHealth:
        """Ask the agent how the instance is; never raises for an unreachable agent."""
        ...

    # Day-2: each call is idempotent; a bad name or a missing object raises the catalog's
    # BadRequest / NotFound with a message safe for users.

    def create_database(self, target: GuestTarget, spec: DatabaseSpec) -> None:
        """Create a database (nothing to do if it exists)."""

    def delete_database(self, target: GuestTarget, name: str) -> None:
        """Drop a database and every grant on it (nothing to do if absent)."""

    def create_user(self, target: GuestTarget, spec: UserSpec) -> None:
        """Create a user, or converge an existing one's password and grants."""

    def update_user(self, target: GuestTarget, name: str, host: str, change: UserChange) -> None:
        """Change a user's name, host or password; its grants follow a rename."""

    def delete_user(self, target: GuestTarget, name: str, host: str) -> None:
        """Drop a user (nothing to do if absent)."""

    def grant_databases(
        self, target: GuestTarget, name: str, host: str, databases: tuple[str, ...]
    ) -> None:
        """Give the user all privileges on each database."""

    def revoke_database(self, target: GuestTarget, name: str, host: str, database: str) -> None:
        """Take away the user's access to one database."""

    def enable_root(self, target: GuestTarget, password: str) -> None:
        """Create (or re-password) the network superuser."""

    def disable_root(self, target: GuestTarget) -> None:
        """Remove the network superuser."""

    def apply_configuration(
        self, target: GuestTarget, values: dict[str, bool | int | float | str], dynamic: list[str]
    ) -> list[str]:
        """Replace the engine's overrides (empty: defaults), applying `dynamic` names live;
        returns the names that take effect only after a restart."""
        ...

    def restart(self, target: GuestTarget, timeout_seconds: float) -> None:
        """Restart the engine and wait until it runs again."""

    def stop_engine(self, target: GuestTarget, timeout_seconds: float) -> None:
        """Stop the engine (the agent keeps running) and wait until it is down."""

    def start_engine(self, target: GuestTarget, timeout_seconds: float) -> None:
        """Start the engine and wait until it runs."""

    def resize(self, target: GuestTarget, ram_mb: int, vcpus: int, timeout_seconds: float) -> None:
        """Size the engine for new limits (one restart) and wait until it runs again."""

    def list_logs(self, target: GuestTarget) -> list[GuestLog]:
        """The engine's logs with their type, switch and size."""
        ...

    def set_log_enabled(self, target: GuestTarget, name: str, enabled: bool) -> None:
        """Switch an optional (USER) log on or off."""

    def read_log(self, target: GuestTarget, name: str, offset: int, length: int) -> GuestLogChunk:
        """At most `length` bytes of a log from `offset` (fewer at its end); `NotFound` for
        an unknown log."""
        ...

    # Metrics (reads; never change the instance) ---------------------------------------

    def metrics(self, target: GuestTarget) -> MetricsSample:
        """One sample of the engine's counters and the volume; `InfrastructureError` for an
        unreachable agent (a down engine is a sample with `engine.up` false)."""
        ...

    def top_queries(self, target: GuestTarget, limit: int) -> list[QueryDigest]:
        """The engine's normalised statements with the largest total time, at most `limit`."""
        ...

    # Backups and restore (the engine's native format; opaque to the control plane) -----

    def backup(
        self, target: GuestTarget, kind: BackupKind, parent_checkpoint: str | None
    ) -> AbstractContextManager[BackupStreamSource]:
        """Stream a backup of the running engine while the instance keeps serving; leaving
        the block stops the engine's backup tool. An incremental needs its parent's
        checkpoint."""
        ...

    def restore(
        self,
        target: GuestTarget,
        parts: list[RestoreSource],
        timeout_seconds: float,
    ) -> None:
        """Restore the chain (full first) into an instance that has no data yet, start the
        engine and wait until it answers. `Conflict` if the instance already has data."""

    # Continuous WAL archiving (datastores whose description says `wal_archiving`) ------

    def wal_segments(self, target: GuestTarget) -> list[WalSegment]:
        """The finished WAL files spooled on the instance, oldest first."""
        ...

    def wal_segment(self, target: GuestTarget, name: str) -> bytes:
        """One spooled WAL file; `NotFound` when it is no longer spooled."""
        ...

    def acknowledge_wal_segment(self, target: GuestTarget, name: str) -> None:
        """The file is stored: remove it from the instance's spool (idempotent)."""

    def switch_wal(self, target: GuestTarget) -> WalSwitch:
        """Close the engine's current WAL file now; where it ended (LSN, time)."""
        ...
