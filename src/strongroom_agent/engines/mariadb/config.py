"""The mariadbd configuration, sized from the sandbox's memory limit.

Options are passed on the command line after `--no-defaults` (no my.cnf is ever read); the
same options are also written as a `.cnf` file for operators to read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

BUFFER_POOL_RATIO = 0.6
BUFFER_POOL_MIN_MIB = 32
BUFFER_POOL_STEP_MIB = 8
CONNECTIONS_PER_512_MIB = 100
CONNECTIONS_MIN = 20
CONNECTIONS_MAX = 4000
LOG_FILE_MIN_MIB = 48
LOG_FILE_MAX_MIB = 2048


@dataclass(frozen=True)
class Sizing:
    """Memory-derived settings."""

    buffer_pool_mib: int
    log_file_mib: int
    max_connections: int
    tmp_table_mib: int


@dataclass(frozen=True)
class Layout:
    """Where mariadbd keeps its files."""

    datadir: Path
    tmpdir: Path
    socket: Path
    pidfile: Path
    error_log: Path


OS_USER = "mysql"
"""The OS user mariadbd runs as unless the agent's settings name another."""


def layout_for(data_dir: Path, run_dir: Path, log_dir: Path) -> Layout:
    """Where an instance's mariadbd keeps its files, from the agent's directories."""
    private_run = run_dir / "mariadb"
    return Layout(
        datadir=data_dir / "mysql",
        tmpdir=data_dir / "tmp",
        socket=private_run / "mariadbd.sock",
        pidfile=private_run / "mariadbd.pid",
        error_log=log_dir / "mariadb" / "mariadbd.err",
    )


def size_for(memory_mib: int) -> Sizing:
    """Sizing for a memory limit: InnoDB buffer pool about 60 % of it (never above), rounded
    down to 8 MiB with a 32 MiB floor; 100 connections per 512 MiB within [20, 4000]."""
    pool = int(memory_mib * BUFFER_POOL_RATIO) // BUFFER_POOL_STEP_MIB * BUFFER_POOL_STEP_MIB
    pool = max(pool, BUFFER_POOL_MIN_MIB)
    connections = memory_mib * CONNECTIONS_PER_512_MIB // 512
    return Sizing(
        buffer_pool_mib=pool,
        log_file_mib=min(max(pool // 4, LOG_FILE_MIN_MIB), LOG_FILE_MAX_MIB),
        max_connections=min(max(connections, CONNECTIONS_MIN), CONNECTIONS_MAX),
        tmp_table_mib=min(max(memory_mib // 64, 4), 256),
    )


def render_options(
    layout: Layout, sizing: Sizing, listen_address: str, port: int, os_user: str
) -> dict[str, str]:
    """The server options (name -> value; "" for a bare flag), in a stable order."""
    return {
        "user": os_user,
        "datadir": str(layout.datadir),
        "tmpdir": str(layout.tmpdir),
        "socket": str(layout.socket),
        "pid-file": str(layout.pidfile),
        "log-error": str(layout.error_log),
        "bind-address": listen_address,
        "port": str(port),
        "skip-name-resolve": "",
        "character-set-server": "utf8mb4",
        "collation-server": "utf8mb4_general_ci",
        "innodb-buffer-pool-size": f"{sizing.buffer_pool_mib}M",
        "innodb-log-file-size": f"{sizing.log_file_mib}M",
        "max-connections": str(sizing.max_connections),
        "tmp-table-size": f"{sizing.tmp_table_mib}M",
        "max-heap-table-size": f"{sizing.tmp_table_mib}M",
    }


def to_argv(binary: str, options: dict[str, str]) -> list[str]:
    """The command line: `--no-defaults` first, then every option."""
    args = [binary, "--no-defaults"]
    args += [f"--{name}" if value == "" else f"--{name}={value}" for name, value in options.items()]
    return args


def from_argv(argv: list[str]) -> dict[str, str]:
    """The options of a command line made by `to_argv` (the binary and `--no-defaults` are
    skipped; a later repetition of an option wins, as in the server)."""
    options: dict[str, str] = {}
    for arg in argv[2:]:
        name, _, value = arg.removeprefix("--").partition("=")
        options[name] = value
    return options


def same_options(running: list[str], wanted: list[str], ignored: set[str]) -> bool:
    """Whether two command lines run the same binary with the same options, apart from the
    `ignored` option names (those already changed in the running server)."""
    if running[:2] != wanted[:2]:
        return False
    have, want = from_argv(running), from_argv(wanted)
    return {k: v for k, v in have.items() if k not in ignored} == {
        k: v for k, v in want.items() if k not in ignored
    }


def to_cnf(options: dict[str, str]) -> str:
    """The same options as a `[mariadbd]` section, for people to read."""
    lines = [
        "# Rendered by strongroom-agent; informational (the server runs --no-defaults).",
        "[mariadbd]",
    ]
    lines += [name if value == "" else f"{name} = {value}" for name, value in options.items()]
    return "\n".join(lines) + "\n"
