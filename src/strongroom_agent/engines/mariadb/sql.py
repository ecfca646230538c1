"""SQL the agent runs as root over the private unix socket (unix_socket authentication).

Statements that carry a password pass it as a bound parameter, and their errors are reported
by error number only: MariaDB quotes the statement text in some messages. Every session turns
the general and slow query logs off for itself (`sql_log_off`, session `slow_query_log`):
MariaDB writes statements there verbatim, passwords included, and the agent's own queries are
not the user's business; for the same reason they are not instrumented in performance_schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pymysql
from pymysql.connections import Connection

from strongroom.contracts.agent import EngineHealth
from strongroom.contracts.errors import InfrastructureError

CONNECT_TIMEOUT_SECONDS = 5
RETRYABLE_CODES = frozenset({2002, 2003, 2006, 2013, 1040, 1205, 1213})
"""Cannot connect, server gone, lost connection, too many connections, lock wait, deadlock."""
_UNINSTRUMENTED = (
    "UPDATE performance_schema.threads SET INSTRUMENTED = 'NO' "
    "WHERE PROCESSLIST_ID = CONNECTION_ID()"
)
"""The agent's sessions stay out of the statement digests (the user's top queries)."""


@contextmanager
def connect(socket: Path) -> Iterator[Connection]:
    """A root connection over the private socket, autocommit on; closed on exit."""
    conn = pymysql.connect(
        unix_socket=str(socket),
        user="root",
        autocommit=True,
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=60,
        write_timeout=60,
        charset="utf8mb4",
        ssl_disabled=True,  # a unix socket: without it PyMySQL loads the CA bundle each time
    )
    try:
        with conn.cursor() as cur:
            cur.execute(_UNINSTRUMENTED)
            cur.execute("SET SESSION sql_log_off = 1, SESSION slow_query_log = 0")
        yield conn
    finally:
        conn.close()


@contextmanager
def admin(socket: Path) -> Iterator[Connection]:
    """`connect`, with MariaDB errors (connecting included) turned into `InfrastructureError`
    naming the error number and message; statements carrying secrets use `execute_secret`."""
    try:
        with connect(socket) as conn:
            yield conn
    except pymysql.MySQLError as exc:
        code = exc.args[0] if exc.args else "?"
        text = exc.args[1] if len(exc.args) > 1 else type(exc).__name__
        raise InfrastructureError(
            "the database server failed the request",
            detail=f"MariaDB error {code}: {text}",
            retryable=isinstance(exc, pymysql.OperationalError) and code in RETRYABLE_CODES,
        ) from None


def probe(socket: Path) -> EngineHealth:
    """Run `SELECT 1` (and read the version) over the socket."""
    try:
        with connect(socket) as conn, conn.cursor() as cur:
            cur.execute("SELECT 1")
            cur.execute("SELECT VERSION()")
            row = cur.fetchone()
    except pymysql.MySQLError as exc:
        return EngineHealth(healthy=False, detail=f"{type(exc).__name__}: {exc.args[0]}")
    return EngineHealth(healthy=True, version=str(row[0]) if row else None)


def execute_secret(cursor: pymysql.cursors.Cursor, sql: str, params: tuple[str, ...]) -> None:
    """Run a statement carrying a password; an error names only MariaDB's error number."""
    try:
        cursor.execute(sql, params)
    except pymysql.MySQLError as exc:
        code = exc.args[0] if exc.args else "?"
        raise InfrastructureError(
            f"account statement failed (MariaDB error {code})", retryable=False
        ) from None
