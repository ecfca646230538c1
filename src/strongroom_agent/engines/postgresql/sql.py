"""SQL the agent runs as the bootstrap superuser over the private unix socket (peer
authentication, OS root mapped to `postgres`).

Passwords never reach the server: the agent computes the SCRAM-SHA-256 verifier locally
(libpq's `PQencryptPasswordConn`, as psql's `\\password` does) and sends only that. Every
session switches statement logging and statement statistics off for itself, so the agent's
own statements are neither in the server log nor among the user's top statements.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from strongroom.contracts.agent import EngineHealth
from strongroom.contracts.errors import InfrastructureError
from strongroom_agent.engines.postgresql.config import SUPERUSER

CONNECT_TIMEOUT_SECONDS = 5
MAINTENANCE_DATABASE = "postgres"
RETRYABLE_CLASSES = ("08", "53", "57P03", "40")
"""Connection exceptions, insufficient resources, the server starting up, rollbacks."""
_UNTRACKED = "-c pg_stat_statements.track=none"
_QUIET = (
    f"{_UNTRACKED} -c log_statement=none -c log_min_duration_statement=-1"
    " -c log_min_error_statement=panic"
)
"""Session options sent in the start-up packet, so they hold from the first statement."""


@contextmanager
def connect(
    socket_dir: Path, port: int, database: str = MAINTENANCE_DATABASE, *, quiet: bool = True
) -> Iterator[psycopg.Connection]:
    """A superuser connection over the private socket, autocommit on; closed on exit. Not
    `quiet`: its statements may be logged, and it sees the server's own logging settings
    (a session's options are what `pg_settings` shows it)."""
    conn = psycopg.connect(
        host=str(socket_dir),
        port=port,
        user=SUPERUSER,
        dbname=database,
        autocommit=True,
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        application_name="strongroom-agent",
        options=_QUIET if quiet else _UNTRACKED,
    )
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def admin(
    socket_dir: Path, port: int, database: str = MAINTENANCE_DATABASE, *, quiet: bool = True
) -> Iterator[psycopg.Connection]:
    """`connect`, with PostgreSQL errors (connecting included) turned into
    `InfrastructureError` naming the SQLSTATE and message."""
    try:
        with connect(socket_dir, port, database, quiet=quiet) as conn:
            yield conn
    except psycopg.Error as exc:
        raise failure(exc) from None


def failure(exc: psycopg.Error) -> InfrastructureError:
    """An `InfrastructureError` for a driver error (messages never carry passwords: none
    is ever sent)."""
    state = exc.sqlstate or "?"
    text = (exc.diag.message_primary or str(exc)).strip()
    return InfrastructureError(
        "the database server failed the request",
        detail=f"PostgreSQL error {state}: {text}",
        retryable=isinstance(exc, psycopg.OperationalError)
        and (exc.sqlstate is None or exc.sqlstate.startswith(RETRYABLE_CLASSES)),
    )


def probe(socket_dir: Path, port: int) -> EngineHealth:
    """`SELECT 1` (and the version) over the socket."""
    try:
        with connect(socket_dir, port) as conn:
            conn.execute("SELECT 1")
            row = conn.execute("SHOW server_version").fetchone()
    except psycopg.Error as exc:
        return EngineHealth(healthy=False, detail=f"{type(exc).__name__}: {exc.sqlstate or '-'}")
    return EngineHealth(healthy=True, version=f"PostgreSQL {row[0]}" if row else None)


def verifier(conn: psycopg.Connection, role: str, password: str) -> sql.Literal:
    """The SCRAM-SHA-256 verifier of `password` for `role`, as an SQL literal."""
    encrypted = conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256")
    return sql.Literal(encrypted.decode())


def identifier(name: str) -> sql.Identifier:
    """A quoted identifier (names are validated before they get here)."""
    return sql.Identifier(name)
