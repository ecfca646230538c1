"""Databases (schemas): list, create, drop. System schemas are never listed nor touched."""

from __future__ import annotations

import pymysql
from pymysql.connections import Connection

from strongroom.contracts.agent import DatabaseSpec
from strongroom.contracts.errors import BadRequest
from strongroom_agent.engines.mariadb import grants
from strongroom_agent.engines.mariadb.names import RESERVED_DATABASES, quote_identifier

UNKNOWN_CHARSET_ERRORS = frozenset({1115, 1253, 1273})
"""Unknown character set, collation not of that character set, unknown collation."""

LIST_SQL = (
    "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME"
    " FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME"
)


def list_databases(conn: Connection) -> list[DatabaseSpec]:
    """User databases, sorted by name, with their character set and collation."""
    with conn.cursor() as cur:
        cur.execute(LIST_SQL)
        rows = cur.fetchall()
    return [
        DatabaseSpec(name=name, character_set=charset, collate=collation)
        for name, charset, collation in rows
        if name.lower() not in RESERVED_DATABASES
    ]


def existing(conn: Connection, names: list[str]) -> set[str]:
    """Which of `names` exist as databases."""
    if not names:
        return set()
    marks = ", ".join(["%s"] * len(names))
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN ({marks})",
            tuple(names),
        )
        return {row[0] for row in cur.fetchall()}


def ensure_database(conn: Connection, database: DatabaseSpec) -> None:
    """Create the database if missing, and converge its character set and collation."""
    name = quote_identifier(database.name)
    options = charset_clause(database)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE IF NOT EXISTS {name}{options}")
            if options:
                cur.execute(f"ALTER DATABASE {name}{options}")
    except pymysql.MySQLError as exc:
        if exc.args and exc.args[0] in UNKNOWN_CHARSET_ERRORS:
            message = f"character set or collation of {database.name!r}: {exc.args[1]}"
            raise BadRequest(message) from None
        raise


def drop_database(conn: Connection, name: str) -> None:
    """Drop the database if it exists, and revoke every grant on it so that a database
    created later under the same name starts with no users."""
    grants.revoke_everyone(conn, name)
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {quote_identifier(name)}")


def charset_clause(database: DatabaseSpec) -> str:
    """` CHARACTER SET x COLLATE y` for the options given (validated names only)."""
    clause = ""
    if database.character_set:
        clause += f" CHARACTER SET {database.character_set}"
    if database.collate:
        clause += f" COLLATE {database.collate}"
    return clause
