"""The server's logs. PostgreSQL writes one log stream (the logging collector's file):
`error` (SYS) is that file; the optional `slow_query` (statements slower than
`log_min_duration_statement`, 1 s unless a configuration sets it) and `general` (every
statement, `log_statement = 'all'`) switch what goes into the same file."""

from __future__ import annotations

from strongroom.contracts.agent import LogType, LogView, ParameterValue
from strongroom.contracts.errors import BadRequest, NotFound
from strongroom_agent.engines.postgresql.config import Layout

ERROR_LOG = "error"
OPTIONAL = ("general", "slow_query")
SLOW_THRESHOLD_PARAMETER = "log_min_duration_statement"
DEFAULT_SLOW_MS = 1000


def check_optional(name: str) -> None:
    """`BadRequest` for the error log, `NotFound` for a name the engine has no log for."""
    if name == ERROR_LOG:
        raise BadRequest("the error log is always enabled")
    if name not in OPTIONAL:
        raise NotFound(f"log {name!r} does not exist")


def settings(enabled: list[str], slow_ms: int | None) -> dict[str, ParameterValue]:
    """Server settings for the switches (`slow_ms`: the configured threshold, if any)."""
    return {
        "log_statement": "all" if "general" in enabled else "none",
        "log_min_duration_statement": (
            (DEFAULT_SLOW_MS if slow_ms is None else slow_ms) if "slow_query" in enabled else -1
        ),
    }


def views(layout: Layout, enabled: list[str]) -> list[LogView]:
    """Every log with its type, switch and the file's current size."""
    try:
        size = layout.server_log.stat().st_size
    except FileNotFoundError:
        size = 0
    path = str(layout.server_log)
    found = [LogView(name=ERROR_LOG, type=LogType.SYS, enabled=True, size_bytes=size, path=path)]
    found += [
        LogView(name=name, type=LogType.USER, enabled=name in enabled, size_bytes=size, path=path)
        for name in OPTIONAL
    ]
    return found
