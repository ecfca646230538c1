"""Configuration parameters as MariaDB system variables: checking names and values, rendering
them as server options, applying them live (`SET GLOBAL`) and reading them back.

Names are checked against a pattern and inserted as identifiers; values are always bound
parameters. Options the agent manages itself (paths, address, logs) cannot be overridden.
"""

from __future__ import annotations

import re

import pymysql
from pymysql.connections import Connection

from strongroom.contracts.agent import ParameterValue
from strongroom.contracts.errors import BadRequest
from strongroom_agent.engines import parameters as rules

READ_ONLY_ERROR = 1238
BAD_VALUE_ERRORS = frozenset({1231, 1232})

MANAGED = frozenset(
    {
        "user", "datadir", "basedir", "tmpdir", "socket", "pid_file", "port", "bind_address",
        "skip_networking", "skip_name_resolve", "skip_grant_tables", "log_error", "log_output",
        "general_log", "general_log_file", "slow_query_log", "slow_query_log_file",
        "plugin_dir", "plugin_load", "plugin_load_add", "init_file", "secure_file_priv",
        "character_sets_dir", "lc_messages_dir", "innodb_data_home_dir",
        "innodb_log_group_home_dir", "innodb_undo_directory", "aria_log_dir_path",
    }
)  # fmt: skip
"""Options the agent renders itself or that would move files or open the server."""


def check_name(name: str) -> None:
    """Refuse a name that is not `[a-z_][a-z0-9_]*` (64 at most) or that the agent manages."""
    rules.check_name(name, MANAGED)


check_value = rules.check_value


def check_values(values: dict[str, ParameterValue]) -> None:
    """`check_name` and `check_value` for every entry."""
    rules.check_values(values, MANAGED)


def option_name(name: str) -> str:
    """The command-line spelling of a variable (`max_connections` -> `max-connections`)."""
    return name.replace("_", "-")


def option_value(value: ParameterValue) -> str:
    """A value as a command-line option value (booleans as ON/OFF)."""
    if isinstance(value, bool):
        return "ON" if value else "OFF"
    return repr(value) if isinstance(value, float) else str(value)


def render(values: dict[str, ParameterValue]) -> dict[str, str]:
    """Server options for the overrides, sorted by name."""
    return {option_name(name): option_value(values[name]) for name in sorted(values)}


def set_global(name: str, value: ParameterValue) -> tuple[str, tuple[ParameterValue, ...]]:
    """`SET GLOBAL` for a checked name; the value is bound (booleans as 1/0)."""
    check_name(name)
    bound = int(value) if isinstance(value, bool) else value
    return f"SET GLOBAL {name} = %s", (bound,)


NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
SWITCH_WORDS = frozenset({"ON", "OFF", "TRUE", "FALSE", "1", "0"})


def check_kind(name: str, current: str, value: ParameterValue) -> None:
    """Refuse a value of another kind than the server's current one (a number for a number,
    a switch for ON/OFF), so that a static value cannot stop the next start."""
    if NUMBER.match(current):
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if not (numeric or (isinstance(value, str) and NUMBER.match(value))):
            raise BadRequest(f"parameter {name!r} must be a number")
    elif current in ("ON", "OFF") and not (
        isinstance(value, bool)
        or (isinstance(value, int) and value in (0, 1))
        or (isinstance(value, str) and value.upper() in SWITCH_WORDS)
    ):
        raise BadRequest(f"parameter {name!r} must be a boolean")


def check_against_server(conn: Connection, values: dict[str, ParameterValue]) -> None:
    """`BadRequest` for names the running server has no variable for, and for values of
    another kind than the variable's."""
    current = read(conn, list(values)) if values else {}
    unknown = sorted(set(values) - set(current))
    if unknown:
        raise BadRequest(f"unknown parameter(s): {', '.join(unknown)}")
    for name, value in values.items():
        check_kind(name, current[name], value)


def apply_live(conn: Connection, values: dict[str, ParameterValue]) -> list[str]:
    """`SET GLOBAL` each value; return the names the server says are read-only. A value the
    server refuses is a `BadRequest` naming the parameter."""
    read_only = []
    with conn.cursor() as cur:
        for name in sorted(values):
            statement, params = set_global(name, values[name])
            try:
                cur.execute(statement, params)
            except pymysql.MySQLError as exc:
                code = exc.args[0] if exc.args else None
                if code == READ_ONLY_ERROR:
                    read_only.append(name)
                elif code in BAD_VALUE_ERRORS:
                    raise BadRequest(f"the server refused the value of {name!r}") from None
                else:
                    raise
    return read_only


def read(conn: Connection, names: list[str]) -> dict[str, str]:
    """Global values of `names` (every variable when empty) from the running server."""
    with conn.cursor() as cur:
        if names:
            marks = ", ".join(["%s"] * len(names))
            cur.execute(f"SHOW GLOBAL VARIABLES WHERE Variable_name IN ({marks})", tuple(names))
        else:
            cur.execute("SHOW GLOBAL VARIABLES")
        return {str(name): "" if value is None else str(value) for name, value in cur.fetchall()}
