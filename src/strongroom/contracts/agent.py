"""The guest agent's wire contract: version, paths, enums and models.

Both the agent server (`strongroom_agent.server`) and the control plane's guest driver
(`strongroom.drivers.guest.http`) import this module, so the two can only drift together.
It imports nothing of ours except other `strongroom.contracts` modules.

Secrets (user passwords) are `SecretStr`: hidden in `repr()` and logs, and sent in clear only
when a request is serialised to JSON for the wire (inside mutual TLS).

Synchronous or not: database, user, root, configuration and log-switch requests finish within
a couple of seconds (a few statements over the engine's socket), so they answer directly (200,
or 204 when there is nothing to return). Anything that restarts the engine (prepare, start,
stop, restart, resize) answers 202 with an operation id to poll. A synchronous change while an
operation runs is refused with 409 (retryable), so changes to one instance never interleave.
Users are addressed by name in the path and `host` in the query (default `%`).
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
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
PATH_ENGINE_RESIZE = f"{PREFIX}/engine/resize"
PATH_DATABASES = f"{PREFIX}/databases"
PATH_DATABASE = f"{PREFIX}/databases/{{name}}"
PATH_USERS = f"{PREFIX}/users"
PATH_USER = f"{PREFIX}/users/{{name}}"
PATH_USER_DATABASES = f"{PREFIX}/users/{{name}}/databases"
PATH_USER_DATABASE = f"{PREFIX}/users/{{name}}/databases/{{database}}"
PATH_ROOT = f"{PREFIX}/root"
PATH_CONFIGURATION = f"{PREFIX}/configuration"
PATH_LOGS = f"{PREFIX}/logs"
PATH_LOG = f"{PREFIX}/logs/{{name}}"
PATH_LOG_CONTENT = f"{PREFIX}/logs/{{name}}/content"
PATH_METRICS = f"{PREFIX}/metrics"
PATH_TOP_QUERIES = f"{PREFIX}/metrics/top-queries"
PATH_BACKUPS = f"{PREFIX}/backups"
PATH_RESTORE = f"{PREFIX}/restore"
PATH_WAL_SEGMENTS = f"{PREFIX}/wal/segments"
PATH_WAL_SEGMENT = f"{PREFIX}/wal/segments/{{name}}"
PATH_WAL_SWITCH = f"{PREFIX}/wal/switch"

DEFAULT_AGENT_PORT = 8443
"""Port the agent listens on when its configuration names none."""

NAME_MAX_LENGTH = 128
"""Upper bound on any name on the wire; each engine applies its own, stricter rules."""

DEFAULT_USER_HOST = "%"
"""Host pattern of a user when a request names none."""

LOG_CHUNK_MAX_BYTES = 4 * 1024 * 1024
"""Most bytes one log read returns; read larger logs in several ranges."""

PARAMETER_NAME_PATTERN = r"^[a-z_][a-z0-9_]*$"
"""What a configuration parameter name must look like (engines refuse their own too)."""


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
    RESIZE = "resize"
    RESTORE = "restore"


class WireModel(BaseModel):
    """Base of every contract model: unknown fields are refused, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _plain_name(value: str) -> str:
    if not value or len(value) > NAME_MAX_LENGTH or "\x00" in value or value != value.strip():
        raise ValueError("must be 1-128 characters without NUL or surrounding spaces")
    return value


PlainName = Annotated[str, AfterValidator(_plain_name)]
"""A name as the wire accepts it: 1-128 characters, no NUL, no surrounding spaces."""


def _valid_password(value: SecretStr) -> SecretStr:
    secret = value.get_secret_value()
    if not secret or len(secret) > 256 or "\x00" in secret:
        raise ValueError("password must be 1-256 characters without NUL")
    return value


def _reveal(value: SecretStr) -> str:
    return value.get_secret_value()


Password = Annotated[
    SecretStr,
    AfterValidator(_valid_password),
    PlainSerializer(_reveal, return_type=str, when_used="json"),
]
"""A password: 1-256 characters without NUL, hidden except in the JSON sent on the wire."""


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
        return _valid_password(value)

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


class RestartOutcome(StrEnum):
    """How the agent's attempt to bring back a crashed engine ended."""

    RESTARTED = "restarted"
    FAILED = "failed"
    GAVE_UP = "gave_up"


class EngineRestart(WireModel):
    """One attempt of the agent to start an engine that died while meant to run."""

    at: datetime
    attempt: int = Field(ge=0, description="1, 2, ... within the window; 0 when giving up.")
    outcome: RestartOutcome
    detail: str = ""


class StatusResponse(WireModel):
    """Response of `GET /v1/status`."""

    api_version: str = API_VERSION
    agent_version: str
    instance_id: str
    engine: str
    engine_state: EngineState
    health: EngineHealth
    volume: VolumeUsage
    restarts: list[EngineRestart] = Field(
        default_factory=list, description="The agent's latest crash restarts, oldest first."
    )


def database_path(name: str) -> str:
    """The path of one database."""
    return PATH_DATABASE.format(name=name)


def user_path(name: str) -> str:
    """The path of one user (its host goes in the `host` query parameter)."""
    return PATH_USER.format(name=name)


def user_databases_path(name: str) -> str:
    """The path of a user's granted databases."""
    return PATH_USER_DATABASES.format(name=name)


def user_database_path(name: str, database: str) -> str:
    """The path of one database grant of a user."""
    return PATH_USER_DATABASE.format(name=name, database=database)


def log_path(name: str) -> str:
    """The path of one log's switch."""
    return PATH_LOG.format(name=name)


def log_content_path(name: str) -> str:
    """The path of one log's bytes."""
    return PATH_LOG_CONTENT.format(name=name)


class DatabaseList(WireModel):
    """Response of `GET /v1/databases`: user databases only, never system schemas."""

    databases: list[DatabaseSpec]


class UserView(WireModel):
    """A user as listed: never its password."""

    name: str
    host: str
    databases: list[str] = Field(description="Databases the user has privileges on, sorted.")


class UserList(WireModel):
    """Response of `GET /v1/users`: reserved and system accounts are never listed."""

    users: list[UserView]


class UserUpdate(WireModel):
    """Body of `PUT /v1/users/{name}?host=`: what to change; a rename keeps the grants."""

    name: PlainName | None = Field(None, description="New user name.")
    host: PlainName | None = Field(None, description="New host pattern.")
    password: Password | None = Field(None, description="New password; never logged.")

    def secrets(self) -> list[str]:
        """The new password, if any, for scrubbing."""
        return [self.password.get_secret_value()] if self.password else []


class DatabaseNames(WireModel):
    """Body of `PUT /v1/users/{name}/databases` (grant) and response of its `GET`."""

    databases: list[PlainName]


class RootEnableRequest(WireModel):
    """Body of `POST /v1/root`: the password the control plane chose for `root` over TCP."""

    password: Password


class RootStatus(WireModel):
    """Response of `GET|POST /v1/root`: whether remote root login exists right now."""

    enabled: bool


ParameterValue = bool | int | float | str
"""A configuration value as the control plane validated it (bool before int: JSON true)."""


class ConfigurationRequest(WireModel):
    """Body of `PUT /v1/configuration`: the complete set of overrides (replaces the previous
    set; empty returns to the engine's defaults). `dynamic_names` may be applied live."""

    values: dict[str, ParameterValue] = Field(default_factory=dict)
    dynamic_names: list[str] = Field(default_factory=list)


class ConfigurationApplied(WireModel):
    """Response of `PUT /v1/configuration`: names that take effect only after a restart."""

    restart_required: list[str]


class EffectiveConfiguration(WireModel):
    """Response of `GET /v1/configuration?name=...`: values as the running engine reports
    them (all of them when no name is given)."""

    values: dict[str, str]


class ResizeRequest(WireModel):
    """Body of `POST /v1/engine/resize`: the new limits; the engine is re-sized and restarted
    once (a stopped engine picks them up at its next start)."""

    memory_mib: int = Field(ge=128, description="New memory limit of the sandbox, MiB.")
    vcpus: int = Field(1, ge=1, le=1024, description="New CPU count of the sandbox.")


class LogType(StrEnum):
    """Trove's log types: `SYS` logs are always on, `USER` logs may be switched."""

    SYS = "SYS"
    USER = "USER"


class LogView(WireModel):
    """One engine log."""

    name: str
    type: LogType
    enabled: bool
    size_bytes: int = Field(description="Current size of the file; 0 when it does not exist.")
    path: str = Field(description="Where the file is inside the instance (for operators).")


class LogList(WireModel):
    """Response of `GET /v1/logs`."""

    logs: list[LogView]


class LogSwitch(WireModel):
    """Body of `PUT /v1/logs/{name}`: switch an optional log on or off (live and persisted)."""

    enabled: bool


class LogChunk(WireModel):
    """Response of `GET /v1/logs/{name}/content`: bytes `offset` to `offset + len(data)`,
    base64 in JSON."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, ser_json_bytes="base64", val_json_bytes="base64"
    )

    name: str
    offset: int
    size_bytes: int = Field(description="Size of the whole file when it was read.")
    data: bytes


# WAL archiving (engines with continuous archiving; others answer 501) ----------------------

WAL_FILE_NAME = re.compile(
    r"^(?:[0-9A-F]{24}(?:\.partial|\.[0-9A-F]{8}\.backup)?|[0-9A-F]{8}\.history)$"
)
"""A file the engine's archiver hands over: a segment, a partial one, a backup history file
or a timeline history file (PostgreSQL's names)."""


def wal_segment_path(name: str) -> str:
    """Path of one spooled WAL file."""
    return PATH_WAL_SEGMENT.format(name=name)


class WalSegment(WireModel):
    """One finished WAL file waiting in the instance's spool for the control plane."""

    name: str
    size_bytes: int
    spooled_at: datetime = Field(
        description="When the archiver spooled it (UTC): the latest time its changes can be from."
    )
    last_commit_at: datetime | None = Field(
        None,
        description="Time of the last transaction end recorded in it (UTC); None when it "
        "records none. A point-in-time recovery can reach any time before the newest one.",
    )


class WalSegmentList(WireModel):
    """Response of `GET /v1/wal/segments`, oldest first."""

    segments: list[WalSegment]


class WalSwitch(WireModel):
    """Response of `POST /v1/wal/switch`: the current WAL file was closed (and handed to the
    archiver); `lsn` is the position it ended at, `at` the server's time of the switch."""

    lsn: str
    segment: str
    at: datetime
