"""The PostgreSQL cluster's files: where they live, sizing from the memory limit, and the
rendered `postgresql.conf`, `pg_hba.conf` and `pg_ident.conf`.

The agent owns every configuration file of the cluster and rewrites them whole (initdb's are
replaced): managed settings first, then sizing, log switches and statement statistics, then
the user's overrides, so that a later line wins as in the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a type alias only: this module stays stdlib-only for `boot`
    from strongroom.contracts.agent import ParameterValue

SHARED_BUFFERS_RATIO = 0.25
EFFECTIVE_CACHE_RATIO = 0.5
SHARED_BUFFERS_MIN_MIB = 16
CONNECTIONS_PER_512_MIB = 100
CONNECTIONS_MIN = 20
CONNECTIONS_MAX = 2000
SUPERUSER = "postgres"
OS_USER = "postgres"
"""The OS user the server runs as unless the agent's settings name another."""
"""The bootstrap superuser: the agent's, over the private socket only (peer authentication)."""
IDENT_MAP = "agent"


@dataclass(frozen=True)
class Layout:
    """Where the cluster keeps its files."""

    datadir: Path
    socket_dir: Path
    pidfile: Path
    log_dir: Path
    staging: Path
    tmpdir: Path
    """Scratch space of backups, on the volume."""

    @property
    def server_log(self) -> Path:
        return self.log_dir / "postgresql.log"

    @property
    def startup_log(self) -> Path:
        return self.log_dir / "postgres.out"

    @property
    def conf(self) -> Path:
        return self.datadir / "postgresql.conf"


def layout_for(data_dir: Path, run_dir: Path, log_dir: Path) -> Layout:
    """Where an instance's cluster keeps its files, from the agent's directories."""
    private_run = run_dir / "postgresql"
    return Layout(
        datadir=data_dir / "postgresql",
        socket_dir=private_run,
        pidfile=private_run / "postgres.pid",
        log_dir=log_dir / "postgresql",
        staging=data_dir / "restore-staging",
        tmpdir=data_dir / "tmp",
    )


@dataclass(frozen=True)
class Sizing:
    """Memory-derived settings."""

    shared_buffers_mib: int
    effective_cache_mib: int
    maintenance_work_mib: int
    max_connections: int


def size_for(memory_mib: int) -> Sizing:
    """shared_buffers about 25 % of the memory limit (16 MiB floor), effective_cache_size
    50 %, maintenance_work_mem 1/16 (at least 16 MiB); 100 connections per 512 MiB within
    [20, 2000] (each backend costs a few MiB outside shared_buffers)."""
    connections = memory_mib * CONNECTIONS_PER_512_MIB // 512
    return Sizing(
        shared_buffers_mib=max(int(memory_mib * SHARED_BUFFERS_RATIO), SHARED_BUFFERS_MIN_MIB),
        effective_cache_mib=max(int(memory_mib * EFFECTIVE_CACHE_RATIO), 32),
        maintenance_work_mib=max(memory_mib // 16, 16),
        max_connections=min(max(connections, CONNECTIONS_MIN), CONNECTIONS_MAX),
    )


def managed(layout: Layout, listen_address: str, port: int) -> dict[str, ParameterValue]:
    """Settings the service decides: addresses, paths, authentication, logging."""
    return {
        "listen_addresses": listen_address,
        "port": port,
        "unix_socket_directories": str(layout.socket_dir),
        "unix_socket_permissions": "0700",
        "external_pid_file": str(layout.pidfile),
        "hba_file": str(layout.datadir / "pg_hba.conf"),
        "ident_file": str(layout.datadir / "pg_ident.conf"),
        "password_encryption": "scram-sha-256",
        "logging_collector": True,
        "log_destination": "stderr",
        "log_directory": str(layout.log_dir),
        "log_filename": layout.server_log.name,
        "log_file_mode": "0640",
        "log_rotation_age": 0,
        "log_rotation_size": 0,
        "log_line_prefix": "%m [%p] %q%u@%d ",
        "lc_messages": "C",
        "timezone": "UTC",
        "log_timezone": "UTC",
        "dynamic_shared_memory_type": "posix",
        "shared_preload_libraries": "pg_stat_statements",
        "pg_stat_statements.max": 1000,
        "pg_stat_statements.track": "top",
    }


def sized(sizing: Sizing) -> dict[str, ParameterValue]:
    """Settings derived from the memory limit."""
    return {
        "shared_buffers": f"{sizing.shared_buffers_mib}MB",
        "effective_cache_size": f"{sizing.effective_cache_mib}MB",
        "maintenance_work_mem": f"{sizing.maintenance_work_mib}MB",
        "max_connections": sizing.max_connections,
    }


def quote(value: ParameterValue) -> str:
    """A value as `postgresql.conf` spells it (strings single-quoted, quotes doubled)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def render_conf(sections: list[tuple[str, dict[str, ParameterValue]]]) -> str:
    """`postgresql.conf` from titled sections of settings, in order."""
    lines = ["# Rendered by strongroom-agent; rewritten at every start and change."]
    for title, values in sections:
        lines.append(f"\n# {title}")
        lines += [f"{name} = {quote(value)}" for name, value in values.items()]
    return "\n".join(lines) + "\n"


def render_hba() -> str:
    """Local socket: only the agent's superuser (peer, mapped); network: every other role
    with SCRAM (the instance's firewall decides which sources reach the port)."""
    return "\n".join(
        [
            "# Rendered by strongroom-agent.",
            f"local   all          {SUPERUSER}  peer map={IDENT_MAP}",
            f"local   replication  {SUPERUSER}  peer map={IDENT_MAP}",
            "local   all          all       reject",
            f"host    all          {SUPERUSER}  all  reject",
            "host    replication  all       all  reject",
            "host    all          all       0.0.0.0/0  scram-sha-256",
            "host    all          all       ::/0       scram-sha-256",
            "",
        ]
    )


def render_ident() -> str:
    """OS root (the agent) and OS postgres may log in as the bootstrap superuser."""
    return f"{IDENT_MAP}  root  {SUPERUSER}\n{IDENT_MAP}  postgres  {SUPERUSER}\n"
