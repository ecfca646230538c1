"""Databases: list, create (Trove's character set -> ENCODING, collate -> LC_COLLATE and
LC_CTYPE), drop. Every database the agent creates starts closed: CONNECT and TEMP are
revoked from PUBLIC, so only users granted it (and root) may enter."""

from __future__ import annotations

import psycopg
from psycopg import sql as q

from strongroom.contracts.agent import DatabaseSpec
from strongroom.contracts.errors import BadRequest
from strongroom_agent.engines.postgresql import names
from strongroom_agent.engines.postgresql.sql import identifier

BAD_OPTION_STATES = frozenset({"22023", "42704", "42809", "0A000"})
"""Invalid encoding, invalid locale (42809), encoding not matching the locale, unsupported."""

LIST_SQL = (
    "SELECT datname, pg_encoding_to_char(encoding), datcollate FROM pg_database"
    " WHERE NOT datistemplate AND datname <> 'postgres' ORDER BY datname"
)


def list_databases(conn: psycopg.Connection) -> list[DatabaseSpec]:
    """User databases, sorted by name, with their encoding and collation."""
    rows = conn.execute(LIST_SQL).fetchall()
    return [DatabaseSpec(name=n, character_set=e, collate=c) for n, e, c in rows]


def existing(conn: psycopg.Connection, wanted: list[str]) -> set[str]:
    """Which of `wanted` exist as (non-template) databases."""
    if not wanted:
        return set()
    rows = conn.execute(
        "SELECT datname FROM pg_database WHERE datname = ANY(%s) AND NOT datistemplate",
        (wanted,),
    ).fetchall()
    return {row[0] for row in rows}


def create_statement(database: DatabaseSpec) -> q.Composed:
    """`CREATE DATABASE` with the options given; from template0 when any is given."""
    encoding = names.encoding_of(database.character_set)
    locale = database.collate or ("C.UTF-8" if encoding in (None, "UTF8") else "C")
    statement = q.SQL("CREATE DATABASE {}").format(identifier(database.name))
    if encoding is None and database.collate is None:
        return statement
    options = q.SQL(" TEMPLATE template0 LC_COLLATE {} LC_CTYPE {}").format(
        q.Literal(locale), q.Literal(locale)
    )
    if encoding is not None:
        options += q.SQL(" ENCODING {}").format(q.Literal(encoding))
    return statement + options


def ensure_database(conn: psycopg.Connection, database: DatabaseSpec) -> None:
    """Create the database if missing (closed to PUBLIC); an existing one is kept as is."""
    if existing(conn, [database.name]):
        return
    try:
        conn.execute(create_statement(database))
    except psycopg.Error as exc:
        if exc.sqlstate in BAD_OPTION_STATES:
            detail = exc.diag.message_primary or "refused"
            raise BadRequest(f"character set or collation of {database.name!r}: {detail}") from None
        raise
    conn.execute(q.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(identifier(database.name)))


def drop_database(conn: psycopg.Connection, name: str) -> None:
    """Drop the database if it exists, ending its sessions (its grants go with it)."""
    conn.execute(q.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(identifier(name)))
