"""Plain data handed to drivers: what to build, never how."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class PortSpec:
    """One interface of a sandbox on a network (address allocated in the control DB)."""

    role: str  # "management" | "user"
    network_name: str
    address: str
    prefix_length: int


@dataclass(frozen=True)
class SandboxSpec:
    instance_id: str
    ram_mb: int
    vcpus: int
    ports: tuple[PortSpec, ...]


@dataclass(frozen=True)
class DatabaseSpec:
    name: str
    character_set: str | None = None
    collate: str | None = None


@dataclass(frozen=True)
class UserSpec:
    name: str
    password: str = field(repr=False)
    host: str = "%"
    databases: tuple[str, ...] = ()


@dataclass(frozen=True)
class PrepareSpec:
    """What the guest must converge to on first boot."""

    instance_id: str
    datastore: str
    datastore_version: str
    ram_mb: int
    vcpus: int
    listen_address: str
    databases: tuple[DatabaseSpec, ...] = ()
    users: tuple[UserSpec, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class GuestTarget:
    """Where an instance's agent listens (its management address)."""

    instance_id: str
    address: str


@dataclass(frozen=True)
class GuestRestart:
    """The agent's attempt to start a crashed engine: outcome "restarted", "failed" or
    "gave_up" (attempt 0)."""

    at: datetime
    attempt: int
    outcome: str
    detail: str = ""


@dataclass(frozen=True)
class GuestHealth:
    reachable: bool
    engine_running: bool
    volume_used_bytes: int | None = None
    volume_total_bytes: int | None = None
    message: str = ""
    # "running", "stopped" (on purpose), "starting", "failed", or "unknown" (no answer)
    engine_state: str = "unknown"
    restarts: tuple[GuestRestart, ...] = ()


@dataclass(frozen=True)
class UserChange:
    """What to change of an existing user; None keeps the current value."""

    name: str | None = None
    host: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class GuestLog:
    """One engine log as the guest reports it."""

    name: str
    type: str  # "SYS" (always on) | "USER" (may be switched)
    enabled: bool
    size_bytes: int
    path: str


@dataclass(frozen=True)
class GuestLogChunk:
    """Bytes `offset` to `offset + len(data)` of an engine log, and the file's size then."""

    offset: int
    size_bytes: int
    data: bytes


@dataclass(frozen=True)
class GuestPaths:
    """Where, as the guest sees it, the files handed over land and the engine keeps its data."""

    files_dir: str
    data_dir: str
    run_dir: str
    log_dir: str
