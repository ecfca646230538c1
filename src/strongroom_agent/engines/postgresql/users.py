"""Roles with LOGIN as Trove users, Trove's database-level grant, and the network superuser.

Trove's grant "all privileges on database D" maps onto PostgreSQL as:
- on D: CONNECT, TEMPORARY, CREATE (schemas);
- in D's `public` schema: USAGE, CREATE, ALL on every table and sequence existing now, and
  default privileges so that tables and sequences the service's roles create later follow.
Revoke takes all of that away. Tables a user creates are owned by that user: another user
granted the same database sees them only once their owner grants them (PostgreSQL's model).
Dropping a role first reassigns what it owns to the bootstrap superuser in every database
(data is never lost with a user), then drops its privileges.

Passwords reach the server only as SCRAM verifiers (`sql.verifier`).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import psycopg
from psycopg import sql as q
from pydantic import SecretStr

from strongroom.contracts.agent import DEFAULT_USER_HOST, UserSpec, UserUpdate, UserView
from strongroom.contracts.errors import BadRequest, NotFound
from strongroom_agent.engines.postgresql import names
from strongroom_agent.engines.postgresql.config import SUPERUSER
from strongroom_agent.engines.postgresql.sql import MAINTENANCE_DATABASE, identifier, verifier

ROOT_USER = "root"
Connector = Callable[[str], AbstractContextManager[psycopg.Connection]]
"""Opens an admin connection to a named database."""

_GRANTED_SQL = (
    "SELECT d.datname FROM pg_database d, aclexplode(d.datacl) a"
    " WHERE a.grantee = (SELECT oid FROM pg_roles WHERE rolname = %s)"
    " AND a.privilege_type = 'CONNECT' AND NOT d.datistemplate"
    " AND d.datname <> 'postgres' ORDER BY d.datname"
)
_IN_DATABASE_GRANTS = (
    "GRANT USAGE, CREATE ON SCHEMA public TO {role}",
    "GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}",
    "GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO {role}",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO {role}",
)
_IN_DATABASE_REVOKES = (
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM {role}",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM {role}",
    "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
    "REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}",
    "REVOKE ALL ON SCHEMA public FROM {role}",
)


def exists(conn: psycopg.Connection, name: str) -> bool:
    """Whether a role `name` exists."""
    return conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone() is not None


def reserved(name: str) -> bool:
    return name.lower() in names.RESERVED_USERS or name.lower().startswith("pg_")


def list_users(conn: psycopg.Connection) -> list[UserView]:
    """Every role that may log in, but reserved and system ones, sorted by name."""
    rows = conn.execute("SELECT rolname FROM pg_roles WHERE rolcanlogin ORDER BY rolname")
    found = [row[0] for row in rows.fetchall() if not reserved(row[0])]
    return [view(conn, name) for name in found]


def view(conn: psycopg.Connection, name: str) -> UserView:
    return UserView(name=name, host=DEFAULT_USER_HOST, databases=databases_of(conn, name))


def databases_of(conn: psycopg.Connection, name: str) -> list[str]:
    """Databases the role may connect to by a grant of its own, sorted."""
    return [row[0] for row in conn.execute(_GRANTED_SQL, (name,)).fetchall()]


def ensure_user(connector: Connector, user: UserSpec) -> None:
    """Create the role with LOGIN (or converge its password) and grant each database."""
    with connector(MAINTENANCE_DATABASE) as conn:
        secret = verifier(conn, user.name, user.password.get_secret_value())
        verb = "ALTER" if exists(conn, user.name) else "CREATE"
        conn.execute(
            q.SQL(verb + " ROLE {} WITH LOGIN PASSWORD {}").format(identifier(user.name), secret)
        )
    grant(connector, user.name, user.databases)


def update_user(conn: psycopg.Connection, name: str, change: UserUpdate) -> None:
    """New password first, then the rename (privileges belong to the role, so they follow)."""
    if not exists(conn, name):
        raise NotFound(f"user {name!r}@'%' does not exist")
    target = change.name or name
    if target != name and exists(conn, target):
        raise BadRequest(f"user {target!r}@'%' already exists")
    if change.password is not None:
        secret = verifier(conn, name, change.password.get_secret_value())
        conn.execute(q.SQL("ALTER ROLE {} WITH PASSWORD {}").format(identifier(name), secret))
    if target != name:
        conn.execute(
            q.SQL("ALTER ROLE {} RENAME TO {}").format(identifier(name), identifier(target))
        )


def drop_user(connector: Connector, name: str) -> None:
    """In every database, hand what the role owns to the superuser and drop its privileges;
    then drop the role. No-op when it does not exist."""
    with connector(MAINTENANCE_DATABASE) as conn:
        if not exists(conn, name):
            return
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (name,)
        )
        rows = conn.execute("SELECT datname FROM pg_database WHERE datallowconn").fetchall()
    role = identifier(name)
    for (database,) in rows:
        with connector(database) as conn:
            conn.execute(q.SQL("REASSIGN OWNED BY {} TO {}").format(role, identifier(SUPERUSER)))
            conn.execute(q.SQL("DROP OWNED BY {}").format(role))
    with connector(MAINTENANCE_DATABASE) as conn:
        conn.execute(q.SQL("DROP ROLE IF EXISTS {}").format(role))


def grant(connector: Connector, name: str, databases: list[str]) -> None:
    """Trove's database-level grant on each database (see the module's docstring)."""
    role = identifier(name)
    for database in databases:
        with connector(MAINTENANCE_DATABASE) as conn:
            conn.execute(
                q.SQL("GRANT CONNECT, TEMPORARY, CREATE ON DATABASE {} TO {}").format(
                    identifier(database), role
                )
            )
        with connector(database) as conn:
            for statement in _IN_DATABASE_GRANTS:
                conn.execute(q.SQL(statement).format(role=role))


def revoke(connector: Connector, name: str, database: str) -> None:
    """Take the grant on `database` back (no-op when the role had none)."""
    role = identifier(name)
    with connector(MAINTENANCE_DATABASE) as conn:
        present = database in {
            row[0]
            for row in conn.execute(
                "SELECT datname FROM pg_database WHERE datname = %s", (database,)
            ).fetchall()
        }
        if not present:
            return
        conn.execute(q.SQL("REVOKE ALL ON DATABASE {} FROM {}").format(identifier(database), role))
    with connector(database) as conn:
        for statement in _IN_DATABASE_REVOKES:
            conn.execute(q.SQL(statement).format(role=role))


def enable_root(conn: psycopg.Connection, password: SecretStr) -> None:
    """Create `root` (SUPERUSER, LOGIN) or give it a new password and LOGIN again."""
    secret = verifier(conn, ROOT_USER, password.get_secret_value())
    verb = "ALTER" if exists(conn, ROOT_USER) else "CREATE"
    conn.execute(
        q.SQL(verb + " ROLE {} WITH SUPERUSER CREATEDB CREATEROLE LOGIN PASSWORD {}").format(
            identifier(ROOT_USER), secret
        )
    )


def disable_root(conn: psycopg.Connection) -> None:
    """`root` keeps what it owns but may no longer log in (NOLOGIN, no password, sessions
    ended); the agent's own superuser over the private socket stays."""
    if exists(conn, ROOT_USER):
        conn.execute(
            q.SQL("ALTER ROLE {} WITH NOSUPERUSER NOLOGIN PASSWORD NULL").format(
                identifier(ROOT_USER)
            )
        )
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
            (ROOT_USER,),
        )


def root_enabled(conn: psycopg.Connection) -> bool:
    """Whether `root` exists and may log in."""
    row = conn.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (ROOT_USER,))
    found = row.fetchone()
    return bool(found and found[0])
