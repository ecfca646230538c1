"""The engine interface every datastore implements inside the agent.

An engine owns one database server process on the instance's data volume. Everything it needs
from the agent arrives in an `EngineEnvironment`; everything the agent needs from it is below.
Methods are synchronous and may block (the agent runs them in an operation thread); each is
idempotent, so calling it again after a crash converges to the same result.
Errors are `strongroom.contracts.errors` types: `BadRequest` for an invalid request (a bad or
reserved name, an unknown parameter), `NotFound` for a missing user or log,
`InfrastructureError` for a failure of the server or the machine.

Day-2 methods (databases, users, root, configuration, logs) run while the server is up, over
the engine's private admin channel; they never restart it. Only `restart` and `resize` do.
Passwords arrive as `SecretStr` and must never reach a log line, an error or a response.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from pydantic import SecretStr

from strongroom.contracts.agent import (
    LOG_CHUNK_MAX_BYTES,
    DatabaseSpec,
    EngineHealth,
    EngineState,
    LogChunk,
    LogView,
    ParameterValue,
    PrepareRequest,
    UserSpec,
    UserUpdate,
    UserView,
    WalSegment,
    WalSwitch,
)
from strongroom.contracts.backups import BackupKind
from strongroom.contracts.errors import NotFound, NotImplementedYet
from strongroom.contracts.metrics import EngineMetrics, QueryDigest
from strongroom_agent.engines import logfile
from strongroom_agent.engines.backup import BackupStream
from strongroom_agent.engines.restore import PartStream


@dataclass(frozen=True)
class EngineEnvironment:
    """What the agent gives an engine: its directories, limits and network defaults."""

    data_dir: Path
    run_dir: Path
    log_dir: Path
    memory_mib: int
    vcpus: int
    listen_address: str
    port: int | None
    os_user: str | None
    start_timeout_seconds: float
    stop_timeout_seconds: float


class Engine(ABC):
    """One datastore server managed by the agent."""

    name: ClassVar[str]
    """Registry name, e.g. the datastore type the control plane asks for."""

    default_port: ClassVar[int]
    """Port the server listens on when neither config nor prepare names one."""

    def __init__(self, env: EngineEnvironment) -> None:
        self.env = env

    @abstractmethod
    def validate(self, request: PrepareRequest) -> None:
        """Check names and options of a prepare request without I/O; raise `BadRequest`."""

    @abstractmethod
    def prepare(self, request: PrepareRequest) -> None:
        """Initialise storage if needed, render the config, start the server, and create the
        requested databases and users. Converges when called again."""

    def initialise(self) -> None:
        """The secret-free part of `prepare`, which the agent runs at boot on a fresh volume
        when the control plane asked for it (so the slow initialisation overlaps the agent's
        start-up and the control plane's calls): initialise storage, render the configuration
        from the environment (sizing, listen address, port), start the server; no databases,
        no users beyond the engine's local admin. A `prepare` afterwards, or after a crash at
        any point in here, must converge from what is left and only add databases and users;
        with the environment's address and port it must not restart the server.
        The default is `prepare` with an empty request, which meets all of this for an engine
        whose `prepare` converges; override only to do less."""
        self.prepare(PrepareRequest(listen_address=self.env.listen_address, port=self.env.port))

    @abstractmethod
    def start(self) -> None:
        """Start the server (detached, so that it outlives the agent) and wait until it
        answers; no-op when it already runs."""

    @abstractmethod
    def stop(self) -> None:
        """Stop the server cleanly (forcibly after the stop timeout); no-op when stopped."""

    def restart(self) -> None:
        """Stop, then start, the server."""
        self.stop()
        self.start()

    @abstractmethod
    def state(self) -> EngineState:
        """What the server process is doing now (cheap: no query)."""

    @abstractmethod
    def health(self) -> EngineHealth:
        """Whether a trivial query over the private socket succeeds, and the server version."""

    def log_files(self) -> list[Path]:
        """Files the engine writes logs to (for operators and secret-leak checks)."""
        return []

    @abstractmethod
    def resize(self, memory_mib: int, vcpus: int) -> None:
        """Re-size the server for new limits (persisted over the agent's settings) and restart
        it once if it runs and the sizing changed; a stopped server uses them at its next start."""
        raise NotImplementedError

    # Databases -------------------------------------------------------------------------

    @abstractmethod
    def list_databases(self) -> list[DatabaseSpec]:
        """User databases with their character set and collation; never system schemas."""

    @abstractmethod
    def create_database(self, database: DatabaseSpec) -> None:
        """Create the database if missing (converging character set and collation)."""

    @abstractmethod
    def delete_database(self, name: str) -> None:
        """Drop the database if it exists; `BadRequest` for a system schema."""

    # Users -----------------------------------------------------------------------------

    @abstractmethod
    def list_users(self) -> list[UserView]:
        """Every user but reserved and system accounts, with the databases granted."""

    @abstractmethod
    def get_user(self, name: str, host: str) -> UserView:
        """One user; `NotFound` when it does not exist."""

    @abstractmethod
    def create_user(self, user: UserSpec) -> None:
        """Create the user (or converge its password) with all privileges on each database;
        `BadRequest` for a reserved name or a database that does not exist."""

    @abstractmethod
    def update_user(self, name: str, host: str, change: UserUpdate) -> None:
        """Change password, then name and host (grants follow a rename); `NotFound` for a
        missing user, `BadRequest` when the new name and host are taken."""

    @abstractmethod
    def delete_user(self, name: str, host: str) -> None:
        """Drop the user if it exists."""

    @abstractmethod
    def grant_databases(self, name: str, host: str, databases: list[str]) -> None:
        """Give the user all privileges on each (existing) database."""

    @abstractmethod
    def revoke_database(self, name: str, host: str, database: str) -> None:
        """Take away the user's privileges on one database (no-op when it had none)."""

    # Root ------------------------------------------------------------------------------

    @abstractmethod
    def enable_root(self, password: SecretStr) -> None:
        """Create or re-password the superuser reachable over the network, all privileges."""

    @abstractmethod
    def disable_root(self) -> None:
        """Remove the network superuser; the agent's own local admin access stays."""

    @abstractmethod
    def root_enabled(self) -> bool:
        """Whether the network superuser exists now."""

    # Configuration ---------------------------------------------------------------------

    @abstractmethod
    def apply_configuration(
        self, values: dict[str, ParameterValue], dynamic_names: list[str]
    ) -> list[str]:
        """Persist `values` as the complete set of overrides (surviving restarts; empty means
        defaults), apply those in `dynamic_names` live, and return the sorted names that need
        a restart (static ones, removed ones, and dynamic ones the server refused live).
        `BadRequest` for a malformed, unknown or engine-managed name."""

    @abstractmethod
    def effective_configuration(self, names: list[str]) -> dict[str, str]:
        """Values of `names` (all when empty) as the running server reports them."""

    # Logs ------------------------------------------------------------------------------

    @abstractmethod
    def list_logs(self) -> list[LogView]:
        """The server's logs (`error` is SYS; `slow_query`, `general` are USER if offered)."""

    @abstractmethod
    def set_log_enabled(self, name: str, enabled: bool) -> LogView:
        """Switch a USER log on or off, live and persisted; `BadRequest` for a SYS log,
        `NotFound` for a log the engine does not have."""

    def read_log(self, name: str, offset: int | None, length: int) -> LogChunk:
        """`length` bytes of a log from `offset`, or its last `length` bytes when `offset` is
        None (at most `LOG_CHUNK_MAX_BYTES`)."""
        view = self.log_view(name)
        start, data, size = logfile.read_range(
            Path(view.path), offset, min(length, LOG_CHUNK_MAX_BYTES)
        )
        return LogChunk(name=name, offset=start, size_bytes=size, data=data)

    def log_view(self, name: str) -> LogView:
        """One log by name; `NotFound` if the engine has none of that name."""
        for view in self.list_logs():
            if view.name == name:
                return view
        raise NotFound(f"log {name!r} does not exist")

    # Metrics ---------------------------------------------------------------------------

    def sample_metrics(self) -> EngineMetrics:
        """The engine's counters and gauges (the contract's neutral names; None where the
        engine has no equivalent); `up=False` when it does not answer. Never raises for a
        down engine. The default knows only whether the engine is healthy."""
        return EngineMetrics(up=self.health().healthy)

    def top_queries(self, limit: int) -> list[QueryDigest]:
        """The `limit` normalised statements with the largest total time since the engine
        started; an engine without statement statistics returns []."""
        return []

    # Backups and restore ---------------------------------------------------------------

    def backup_stream(self, kind: BackupKind, parent_checkpoint: str | None) -> BackupStream:
        """Start a backup of the running server, streamed (never landing whole on the volume):
        a full, or an incremental on top of the backup whose checkpoint is `parent_checkpoint`
        (the agent keeps no backup state; the control plane sends it back). `Conflict` when the
        server is not running, `BadRequest` for an incremental without a parent checkpoint."""
        raise NotImplementedYet(f"{self.name} does not support backups")

    def stage_restore(self, parts: Iterable[PartStream]) -> None:
        """Unpack each part (a full, then its incrementals in order) into a staging area on the
        volume, without touching the data dir. `Conflict` if the instance already has data;
        any error from a part leaves no staging behind and propagates."""
        raise NotImplementedYet(f"{self.name} does not support restores")

    def stale_scratch(self) -> list[Path]:
        """The backup and restore scratch paths that exist now (a backup's work dir, a
        restore's staging): only a running backup or restore uses them, so when the agent
        starts they are what an agent killed mid-way left behind."""
        return []

    def finish_restore(self) -> None:
        """Make the staged parts the server's data (prepare, apply incrementals in order,
        move into place, fix ownership), start the server and verify it answers."""
        raise NotImplementedYet(f"{self.name} does not support restores")

    def restore_from_streams(self, parts: Iterable[PartStream]) -> None:
        """`stage_restore` then `finish_restore`, for callers holding every part."""
        self.stage_restore(parts)
        self.finish_restore()

    # Continuous WAL archiving (optional) ------------------------------------------------
    # An engine that archives its write-ahead log spools each finished file on the volume;
    # the control plane lists, downloads and acknowledges them (the agent holds no store
    # credential). Engines without it keep these defaults (501 on the wire).

    def wal_segments(self) -> list[WalSegment]:
        """The finished WAL files waiting in the spool, oldest first."""
        raise NotImplementedYet(f"{self.name} does not archive its WAL")

    def wal_segment_file(self, name: str) -> Path:
        """The spooled file `name` (a `WAL_FILE_NAME`); `NotFound` when it is not spooled."""
        raise NotImplementedYet(f"{self.name} does not archive its WAL")

    def acknowledge_wal_segment(self, name: str) -> None:
        """Remove `name` from the spool once it is stored (no-op when already gone)."""
        raise NotImplementedYet(f"{self.name} does not archive its WAL")

    def switch_wal(self) -> WalSwitch:
        """Close the current WAL file now so the archiver spools it; where it ended."""
        raise NotImplementedYet(f"{self.name} does not archive its WAL")
