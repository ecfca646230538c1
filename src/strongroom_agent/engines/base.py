"""The engine interface every datastore implements inside the agent.

An engine owns one database server process on the instance's data volume. Everything it needs
from the agent arrives in an `EngineEnvironment`; everything the agent needs from it is below.
Methods are synchronous and may block (the agent runs them in an operation thread); each is
idempotent, so calling it again after a crash converges to the same result.
Errors are `strongroom.contracts.errors` types: `BadRequest` for an invalid request,
`InfrastructureError` for a failure of the server or the machine.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from strongroom.contracts.agent import EngineHealth, EngineState, PrepareRequest


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
