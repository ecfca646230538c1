"""The guest agent's wire contract: version, paths, enums and models.

Both the agent server (`strongroom_agent.server`) and the control plane's guest driver
(`strongroom.drivers.guest.http`) import this module, so the two can only drift together.
It imports nothing of ours except other `strongroom.contracts` modules.

Secrets (user passwords) are `SecretStr`: hidden in `repr()` and logs, and sent in clear only
when a request is serialised to JSON for the wire (inside mutual TLS).
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_serializer,
    field_validator,
)

API_VERSION = "v1"
PREFIX = f"/{API_VERSION}"

PATH_STATUS = f"{PREFIX}/status"
PATH_PREPARE = f"{PREFIX}/prepare"
PATH_ENGINE_START = f"{PREFIX}/engine/start"
PATH_ENGINE_STOP = f"{PREFIX}/engine/stop"
PATH_ENGINE_RESTART = f"{PREFIX}/engine/restart"
PATH_OPERATION = f"{PREFIX}/operations/{{operation_id}}"

DEFAULT_AGENT_PORT = 8443
"""Port the agent listens on when its configuration names none."""

NAME_MAX_LENGTH = 128
"""Upper bound on any name on the wire; each engine applies its own, stricter rules."""


def operation_path(operation_id: str) -> str:
    """The polling path of one operation."""
    return PATH_OPERATION.format(operation_id=operation_id)


class EngineState(StrEnum):
    """What the engine process is doing, as the agent sees it."""

    RUNNING = "running"
    STOPPED = "stopped"
    STARTING = "starting"
    FAILED = "failed"


class OperationState(StrEnum):
    """Where a long operation is."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class OperationKind(StrEnum):
    """Which request started an operation."""

    PREPARE = "prepare"
    START = "start"
    STOP = "stop"
    RESTART = "restart"


class WireModel(BaseModel):
    """Base of every contract model: unknown fields are refused, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _plain_name(value: str) -> str:
    if not value or len(value) > NAME_MAX_LENGTH or "\x00" in value or value != value.strip():
        raise ValueError("must be 1-128 characters without NUL or surrounding spaces")
    return value


PlainName = Annotated[str, AfterValidator(_plain_name)]
"""A name as the wire accepts it: 1-128 characters, no NUL, no surrounding spaces."""


class DatabaseSpec(WireModel):
    """A database to exist after prepare."""

    name: PlainName = Field(description="Database name; the engine validates it further.")
    character_set: str | None = Field(None, description="Character set; engine default if None.")
    collate: str | None = Field(None, description="Collation; engine default if None.")


class UserSpec(WireModel):
    """A user to exist after prepare, with all privileges on each listed database."""

    name: PlainName = Field(description="User name; the engine validates it further.")
    password: SecretStr = Field(description="The user's password; never logged or echoed.")
    host: PlainName = Field("%", description="Host pattern the user may connect from.")
    databases: list[PlainName] = Field(default_factory=list, description="Databases to grant on.")

    @field_validator("password")
    @classmethod
    def _check_password(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value()
        if not secret or len(secret) > 256 or "\x00" in secret:
            raise ValueError("password must be 1-256 characters without NUL")
        return value

    @field_serializer("password", when_used="json")
    def _reveal_on_wire(self, value: SecretStr) -> str:
        return value.get_secret_value()


class PrepareRequest(WireModel):
    """Body of `POST /v1/prepare`: the declarative target state of a fresh instance."""

    listen_address: str | None = Field(
        None, description="User-facing address the engine binds; None means the agent's config."
    )
    port: int | None = Field(
        None, ge=1, le=65535, description="Engine port; None means the config or engine default."
    )
    databases: list[DatabaseSpec] = Field(default_factory=list)
    users: list[UserSpec] = Field(default_factory=list)

    @field_validator("listen_address")
    @classmethod
    def _check_address(cls, value: str | None) -> str | None:
        if value is not None:
            ipaddress.ip_address(value)
        return value

    def secrets(self) -> list[str]:
        """Every secret value in the request, so that logs and results can be scrubbed."""
        return [user.password.get_secret_value() for user in self.users]


class OperationAccepted(WireModel):
    """Response (202) of every request that starts a long operation."""

    operation_id: str
    kind: OperationKind
    state: OperationState


class ErrorDetail(WireModel):
    """An error as the agent reports it; messages never carry secrets."""

    code: str
    message: str
    detail: str | None = None
    retryable: bool = False


class ErrorResponse(WireModel):
    """Body of every non-2xx agent response."""

    error: ErrorDetail


class OperationStatus(WireModel):
    """Response of `GET /v1/operations/{operation_id}`."""

    operation_id: str
    kind: OperationKind
    state: OperationState
    started_at: datetime
    finished_at: datetime | None = None
    error: ErrorDetail | None = None


class VolumeUsage(WireModel):
    """Space on the data volume (the file system holding the data dir)."""

    used_bytes: int
    total_bytes: int


class EngineHealth(WireModel):
    """Whether the agent can reach the engine over its private socket and run a query."""

    healthy: bool
    version: str | None = None
    detail: str | None = None


class StatusResponse(WireModel):
    """Response of `GET /v1/status`."""

    api_version: str = API_VERSION
    agent_version: str
    instance_id: str
    engine: str
    engine_state: EngineState
    health: EngineHealth
    volume: VolumeUsage
