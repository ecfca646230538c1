"""Configuration parameters as PostgreSQL settings: checking names and values against the
running server's `pg_settings`, checking a rendered file with `pg_file_settings` before it is
loaded, reloading, and telling which settings wait for a restart (`pending_restart`).

Values reach the server only through `postgresql.conf` (rendered by `config`), never as SQL.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import psycopg

from strongroom.contracts.agent import ParameterValue
from strongroom.contracts.errors import BadRequest, InfrastructureError
from strongroom_agent.engines import parameters as rules

RELOAD_TIMEOUT_SECONDS = 10.0
NOT_APPLIED = "setting could not be applied"
"""pg_file_settings' note on a changed postmaster setting: valid, waits for a restart."""

MANAGED = frozenset(
    {
        "listen_addresses", "port", "unix_socket_directories", "unix_socket_permissions",
        "unix_socket_group", "external_pid_file", "data_directory", "config_file", "hba_file",
        "ident_file", "password_encryption", "logging_collector", "log_destination",
        "log_directory", "log_filename", "log_file_mode", "log_rotation_age",
        "log_rotation_size", "log_truncate_on_rotation", "log_line_prefix", "lc_messages",
        "log_statement", "shared_preload_libraries",
        "dynamic_shared_memory_type", "ssl", "ssl_cert_file", "ssl_key_file", "ssl_ca_file",
        "archive_mode", "archive_command", "archive_library", "restore_command",
        "primary_conninfo", "local_preload_libraries", "session_preload_libraries",
        "krb_server_keyfile", "event_source", "syslog_ident", "cluster_name",
        "archive_timeout", "wal_level", "archive_cleanup_command", "recovery_target",
        "recovery_target_lsn", "recovery_target_time", "recovery_target_action",
        "recovery_target_name", "recovery_target_xid", "recovery_target_inclusive",
        "recovery_target_timeline",
    }
)  # fmt: skip
"""Settings the agent renders itself or that would move files, load code or open the server."""


def check_name(name: str) -> None:
    """Refuse a name that is not `[a-z_][a-z0-9_]*` (64 at most) or that the agent manages."""
    rules.check_name(name, MANAGED)


check_value = rules.check_value


def check_values(values: dict[str, ParameterValue]) -> None:
    """`check_name` and `check_value` for every entry."""
    rules.check_values(values, MANAGED)


def check_against_server(conn: psycopg.Connection, values: dict[str, ParameterValue]) -> None:
    """`BadRequest` for names the server has no setting for (or fixed at build time), for
    values of another kind than the setting's or outside its range or choices, and for values
    the server refuses (settings a session may change are tried in a rolled-back
    transaction: the server itself parses units and checks ranges)."""
    if not values:
        return
    rows = conn.execute(
        "SELECT name, vartype, context, min_val, max_val, enumvals FROM pg_settings"
        " WHERE name = ANY(%s)",
        (list(values),),
    ).fetchall()
    known = {row[0]: row[1:] for row in rows}
    unknown = sorted(n for n in values if n not in known or known[n][1] == "internal")
    if unknown:
        raise BadRequest(f"unknown parameter(s): {', '.join(unknown)}")
    for name, value in values.items():
        kind, context, low, high, choices = known[name]
        _check_kind(name, value, kind, choices)
        _check_range(name, value, low, high)
        if context in SESSION_CONTEXTS:
            _try_in_session(conn, name, value)


SESSION_CONTEXTS = frozenset({"user", "superuser"})
NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?\s*(B|kB|MB|GB|TB|us|ms|s|min|h|d)?$")
_BOOL_WORDS = frozenset({"on", "off", "true", "false", "yes", "no", "1", "0"})


def _check_kind(name: str, value: ParameterValue, kind: str, choices: list[str] | None) -> None:
    if kind == "bool" and not (
        isinstance(value, bool) or (isinstance(value, str) and value.lower() in _BOOL_WORDS)
    ):
        raise BadRequest(f"parameter {name!r} must be a boolean")
    if kind in ("integer", "real"):
        if isinstance(value, bool) or (isinstance(value, str) and not NUMBER.match(value)):
            raise BadRequest(f"parameter {name!r} must be a number")
        if kind == "integer" and isinstance(value, float) and not value.is_integer():
            raise BadRequest(f"parameter {name!r} must be an integer")
    if kind == "enum" and choices and str(value).lower() not in {c.lower() for c in choices}:
        raise BadRequest(f"parameter {name!r} must be one of {', '.join(choices)}")


def _check_range(name: str, value: ParameterValue, low: str | None, high: str | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return
    if (low is not None and value < float(low)) or (high is not None and value > float(high)):
        raise BadRequest(f"parameter {name!r} must be within [{low}, {high}]")


def _try_in_session(conn: psycopg.Connection, name: str, value: ParameterValue) -> None:
    text = ("on" if value else "off") if isinstance(value, bool) else str(value)
    try:
        with conn.transaction(force_rollback=True):
            conn.execute("SELECT set_config(%s, %s, true)", (name, text))
    except psycopg.errors.InvalidParameterValue:
        raise BadRequest(f"the server refused the value of {name!r}") from None


def file_errors(conn: psycopg.Connection, path: str) -> dict[str, str]:
    """Settings of the file at `path` (as it is on disk now) the server would refuse, with
    its reason; a changed restart-only setting is not an error."""
    rows = conn.execute(
        "SELECT name, error FROM pg_file_settings WHERE sourcefile = %s AND error IS NOT NULL",
        (path,),
    ).fetchall()
    return {str(name or "?"): str(error) for name, error in rows if error != NOT_APPLIED}


def reload(conn: psycopg.Connection) -> float:
    """Ask the postmaster to reload; the configuration load time before it (see `wait_reloaded`)."""
    row = conn.execute("SELECT extract(epoch FROM pg_conf_load_time())::float8").fetchone()
    conn.execute("SELECT pg_reload_conf()")
    return float(row[0]) if row else 0.0


def wait_reloaded(
    open_session: Callable[[], AbstractContextManager[psycopg.Connection]], before: float
) -> None:
    """Poll fresh sessions (`open_session()` is a context manager) until one was forked after
    the postmaster reloaded (its load time is later than `before`)."""
    deadline = time.monotonic() + RELOAD_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        with open_session() as conn:
            row = conn.execute("SELECT extract(epoch FROM pg_conf_load_time())::float8").fetchone()
        if row and float(row[0]) > before:
            return
        time.sleep(0.05)
    raise InfrastructureError("the server did not reload its configuration", retryable=True)


def pending_restart(conn: psycopg.Connection) -> set[str]:
    """Settings whose file value differs from the running one until a restart."""
    rows = conn.execute("SELECT name FROM pg_settings WHERE pending_restart").fetchall()
    return {row[0] for row in rows}


def read(conn: psycopg.Connection, names: list[str]) -> dict[str, str]:
    """Values (`pg_settings.setting`, in the setting's base unit) of `names`, all when empty."""
    if names:
        rows = conn.execute(
            "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", (names,)
        ).fetchall()
    else:
        rows = conn.execute("SELECT name, setting FROM pg_settings").fetchall()
    return {str(name): "" if value is None else str(value) for name, value in rows}
