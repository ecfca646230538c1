"""SQL the agent runs as root over the private unix socket (unix_socket authentication).

Statements that carry a password pass it as a bound parameter, and their errors are reported
by error number only: MariaDB quotes the statement text in some messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pymysql
from pymysql.connections import Connection

from strongroom.contracts.agent import DatabaseSpec, EngineHealth, UserSpec
from strongroom.contracts.errors import InfrastructureError
from strongroom_agent.engines.mariadb.names import quote_identifier

CONNECT_TIMEOUT_SECONDS = 5


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
    )
    try:
        yield conn
    finally:
        conn.close()


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


def ensure_database(conn: Connection, database: DatabaseSpec) -> None:
    """Create the database if missing, and converge its character set and collation."""
    name = quote_identifier(database.name)
    options = _charset_clause(database)
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS {name}{options}")
        if options:
            cur.execute(f"ALTER DATABASE {name}{options}")


def ensure_user(conn: Connection, user: UserSpec) -> None:
    """Create the user if missing, set its password, and grant ALL on each database."""
    account = (user.name, user.host)
    secret = user.password.get_secret_value()
    with conn.cursor() as cur:
        _execute_secret(cur, "CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", (*account, secret))
        _execute_secret(cur, "ALTER USER %s@%s IDENTIFIED BY %s", (*account, secret))
        for database in user.databases:
            cur.execute(f"GRANT ALL PRIVILEGES ON {quote_identifier(database)}.* TO %s@%s", account)


def _charset_clause(database: DatabaseSpec) -> str:
    clause = ""
    if database.character_set:
        clause += f" CHARACTER SET {database.character_set}"
    if database.collate:
        clause += f" COLLATE {database.collate}"
    return clause


def _execute_secret(cursor: pymysql.cursors.Cursor, sql: str, params: tuple[str, ...]) -> None:
    try:
        cursor.execute(sql, params)
    except pymysql.MySQLError as exc:
        code = exc.args[0] if exc.args else "?"
        raise InfrastructureError(
            f"account statement failed (MariaDB error {code})", retryable=False
        ) from None
