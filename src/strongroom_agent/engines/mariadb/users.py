"""Accounts: users with database grants, and the network superuser (`root`@`%`).

Passwords travel only as bound parameters of `sql.execute_secret`, whose errors carry MariaDB's
error number and nothing of the statement.
"""

from __future__ import annotations

from pydantic import SecretStr
from pymysql.connections import Connection

from strongroom.contracts.agent import UserSpec, UserUpdate, UserView
from strongroom.contracts.errors import BadRequest, NotFound
from strongroom_agent.engines.mariadb import grants, sql
from strongroom_agent.engines.mariadb.names import RESERVED_USERS

ROOT_ACCOUNT = ("root", "%")


def list_users(conn: Connection) -> list[UserView]:
    """Every account but anonymous, reserved and system ones, sorted by name and host."""
    with conn.cursor() as cur:
        cur.execute("SELECT User, Host FROM mysql.global_priv ORDER BY User, Host")
        accounts = [(name, host) for name, host in cur.fetchall() if name and not reserved(name)]
    return [
        UserView(name=name, host=host, databases=grants.databases_of(conn, name, host))
        for name, host in accounts
    ]


def reserved(name: str) -> bool:
    """Whether the account name belongs to MariaDB or the service."""
    return name.lower() in RESERVED_USERS


def find_user(conn: Connection, name: str, host: str) -> UserView | None:
    """One account, or None."""
    if not exists(conn, name, host):
        return None
    return UserView(name=name, host=host, databases=grants.databases_of(conn, name, host))


def exists(conn: Connection, name: str, host: str) -> bool:
    """Whether `name`@`host` exists."""
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM mysql.global_priv WHERE User = %s AND Host = %s", (name, host))
        return cur.fetchone() is not None


def ensure_user(conn: Connection, user: UserSpec) -> None:
    """Create the user if missing, set its password, and grant ALL on each database."""
    account = (user.name, user.host)
    secret = user.password.get_secret_value()
    with conn.cursor() as cur:
        sql.execute_secret(
            cur, "CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", (*account, secret)
        )
        sql.execute_secret(cur, "ALTER USER %s@%s IDENTIFIED BY %s", (*account, secret))
    grants.grant(conn, user.name, user.host, user.databases)


def update_user(conn: Connection, name: str, host: str, change: UserUpdate) -> None:
    """New password first, then the rename (`RENAME USER` carries every grant along)."""
    if not exists(conn, name, host):
        raise NotFound(f"user {name!r}@{host!r} does not exist")
    target = (change.name or name, change.host or host)
    if target != (name, host) and exists(conn, *target):
        raise BadRequest(f"user {target[0]!r}@{target[1]!r} already exists")
    with conn.cursor() as cur:
        if change.password is not None:
            secret = change.password.get_secret_value()
            sql.execute_secret(cur, "ALTER USER %s@%s IDENTIFIED BY %s", (name, host, secret))
        if target != (name, host):
            cur.execute("RENAME USER %s@%s TO %s@%s", (name, host, *target))


def drop_user(conn: Connection, name: str, host: str) -> None:
    """Drop the account if it exists (its grants go with it)."""
    with conn.cursor() as cur:
        cur.execute("DROP USER IF EXISTS %s@%s", (name, host))


def enable_root(conn: Connection, password: SecretStr) -> None:
    """Create `root`@`%` or change its password; ALL PRIVILEGES WITH GRANT OPTION."""
    secret = password.get_secret_value()
    with conn.cursor() as cur:
        sql.execute_secret(
            cur, "CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", (*ROOT_ACCOUNT, secret)
        )
        sql.execute_secret(cur, "ALTER USER %s@%s IDENTIFIED BY %s", (*ROOT_ACCOUNT, secret))
        cur.execute("GRANT ALL PRIVILEGES ON *.* TO %s@%s WITH GRANT OPTION", ROOT_ACCOUNT)


def disable_root(conn: Connection) -> None:
    """Drop `root`@`%`; `root`@`localhost` (socket authentication, the agent's) stays."""
    drop_user(conn, *ROOT_ACCOUNT)


def root_enabled(conn: Connection) -> bool:
    """Whether `root`@`%` exists."""
    return exists(conn, *ROOT_ACCOUNT)
