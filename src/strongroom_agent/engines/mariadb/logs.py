"""mariadbd's logs: the error log (always on) and the optional slow query and general logs,
written as files beside it; switched live with `SET GLOBAL` and rendered as options."""

from __future__ import annotations

from pathlib import Path

from pymysql.connections import Connection

from strongroom.contracts.agent import LogType, LogView
from strongroom.contracts.errors import BadRequest, NotFound
from strongroom_agent.engines.mariadb.config import Layout

ERROR_LOG = "error"
OPTIONAL = {"slow_query": "slow_query_log", "general": "general_log"}
"""Optional log name -> the server variable switching it."""
FILES = {"slow_query": "mariadbd-slow.log", "general": "mariadbd-general.log"}


def path_of(layout: Layout, name: str) -> Path:
    """Where a log is written."""
    if name == ERROR_LOG:
        return layout.error_log
    return layout.error_log.with_name(FILES[name])


def check_optional(name: str) -> None:
    """`BadRequest` for the error log, `NotFound` for a name the engine has no log for."""
    if name == ERROR_LOG:
        raise BadRequest("the error log is always enabled")
    if name not in OPTIONAL:
        raise NotFound(f"log {name!r} does not exist")


def switch_option(name: str) -> str:
    """The server option switching an optional log (`slow-query-log`)."""
    return OPTIONAL[name].replace("_", "-")


def options(layout: Layout, enabled: list[str]) -> dict[str, str]:
    """Server options: log to files, where the optional logs go, which are on."""
    rendered = {"log-output": "FILE"}
    for name in OPTIONAL:
        rendered[f"{switch_option(name)}-file"] = str(path_of(layout, name))
        if name in enabled:
            rendered[switch_option(name)] = "ON"
    return rendered


def views(layout: Layout, enabled: list[str]) -> list[LogView]:
    """Every log with its type, switch and current size."""
    found = [_view(layout, ERROR_LOG, LogType.SYS, True)]
    found += [_view(layout, name, LogType.USER, name in enabled) for name in OPTIONAL]
    return found


def switch_live(conn: Connection, name: str, enabled: bool) -> None:
    """Turn an optional log on or off in the running server."""
    with conn.cursor() as cur:
        cur.execute(f"SET GLOBAL {OPTIONAL[name]} = %s", (1 if enabled else 0,))


def _view(layout: Layout, name: str, kind: LogType, enabled: bool) -> LogView:
    path = path_of(layout, name)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        size = 0
    return LogView(name=name, type=kind, enabled=enabled, size_bytes=size, path=str(path))
