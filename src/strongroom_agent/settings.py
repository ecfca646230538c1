"""The agent's configuration, written by the control plane as JSON or TOML; fails fast."""

from __future__ import annotations

import ipaddress
import json
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from strongroom.contracts.agent import DEFAULT_AGENT_PORT
from strongroom.contracts.errors import ConfigError


class AgentSettings(BaseModel):
    """Everything the agent needs; every option documented, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    instance_id: str = Field(description="The instance this agent serves (its certificate CN).")
    bind_host: str = Field(description="Management address the HTTPS server binds to.")
    port: int = Field(DEFAULT_AGENT_PORT, ge=1, le=65535, description="HTTPS port.")
    server_cert: Path = Field(description="PEM certificate of this agent (CN = instance id).")
    server_key: Path = Field(description="PEM private key of `server_cert`.")
    client_ca: Path = Field(description="PEM CA that signed the control plane's client cert.")
    engine: str = Field("mariadb", description="Engine name in the agent's engine registry.")
    data_dir: Path = Field(description="The data volume's mount point.")
    run_dir: Path = Field(description="Directory for sockets and pid files.")
    log_dir: Path = Field(description="Directory for the agent's and the engine's logs.")
    memory_mib: int = Field(ge=128, description="Memory limit of the sandbox, MiB.")
    vcpus: int = Field(1, ge=1, le=1024, description="CPUs of the sandbox.")
    listen_address: str = Field(
        "127.0.0.1", description="User-facing address the engine binds unless prepare says."
    )
    engine_port: int | None = Field(
        None, ge=1, le=65535, description="Engine port unless prepare says; None: engine default."
    )
    engine_os_user: str | None = Field(
        None, description="OS user the engine runs as; None means the engine's default."
    )
    start_timeout_seconds: float = Field(
        120.0, gt=0, description="How long a start may take (crash recovery included)."
    )
    stop_timeout_seconds: float = Field(
        120.0, gt=0, description="How long a clean shutdown may take before it is forced."
    )
    restart_attempts: int = Field(
        3,
        ge=0,
        le=100,
        description="Starts of a crashed engine the agent tries within `restart_window_seconds` "
        "before it gives up (0: never; the engine stays down until asked to start).",
    )
    restart_window_seconds: float = Field(
        600.0, gt=0, description="The window in which `restart_attempts` are counted."
    )
    restart_backoff_seconds: float = Field(
        1.0, gt=0, description="Pause before the second attempt; doubles with each one (max 60 s)."
    )
    supervise_interval_seconds: float = Field(
        2.0, gt=0, description="How often the agent checks that a running engine still runs."
    )

    @field_validator("bind_host", "listen_address")
    @classmethod
    def _check_address(cls, value: str) -> str:
        ipaddress.ip_address(value)
        return value


def load_settings(path: Path) -> AgentSettings:
    """Read and validate a `.json` or `.toml` config file; raise `ConfigError` naming the cause."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read agent config {path}: {exc.strerror}") from exc
    try:
        data = tomllib.loads(raw.decode()) if path.suffix == ".toml" else json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"agent config {path} is not valid {path.suffix[1:]}: {exc}") from exc
    try:
        return AgentSettings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"agent config {path} is invalid: {problems}") from exc
