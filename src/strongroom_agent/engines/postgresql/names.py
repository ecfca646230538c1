"""PostgreSQL name rules: database, role and host names, encodings and collations.

A Trove user has a host pattern; a PostgreSQL role has none (pg_hba.conf, rendered by the
agent, and the instance's firewall decide where logins may come from), so the only host
accepted is `%` (anywhere the instance's access rules allow).
"""

from __future__ import annotations

import re

from strongroom.contracts.agent import DEFAULT_USER_HOST, DatabaseSpec, PrepareRequest
from strongroom.contracts.errors import BadRequest

DATABASE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_$-]{0,62}$")
USER_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$")
LOCALE_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")

RESERVED_DATABASES = frozenset({"postgres", "template0", "template1"})
RESERVED_USERS = frozenset({"postgres", "root", "public", "strongroom", "os_admin"})
ENCODING_ALIASES = {"utf8mb4": "UTF8", "utf8mb3": "UTF8", "utf8": "UTF8", "utf-8": "UTF8"}
"""Trove clients often send MySQL's names; they mean PostgreSQL's UTF8."""


def check_database_name(name: str) -> None:
    """Refuse a database name PostgreSQL or the service reserves or that is not plain."""
    if not DATABASE_NAME.match(name):
        raise BadRequest(
            f"database name {name!r} must be 1-63 characters of letters, digits, _ $ -"
        )
    if name.lower() in RESERVED_DATABASES or name.lower().startswith("pg_"):
        raise BadRequest(f"database name {name!r} is reserved")


def check_user_name(name: str) -> None:
    """Refuse a role name that is reserved (`pg_` included) or not plain."""
    if not USER_NAME.match(name):
        raise BadRequest(f"user name {name!r} must be 1-63 characters of letters, digits, _ . -")
    if name.lower() in RESERVED_USERS or name.lower().startswith("pg_"):
        raise BadRequest(f"user name {name!r} is reserved")


def check_host(host: str) -> None:
    """Only `%`: a PostgreSQL role has no host; the firewall and pg_hba.conf decide."""
    if host != DEFAULT_USER_HOST:
        raise BadRequest(
            f"host {host!r} is not supported by PostgreSQL: use '%' (the instance's access "
            "rules decide where users may connect from)"
        )


def check_account(name: str, host: str) -> None:
    """Validate a role name (reserved ones refused) and its host."""
    check_user_name(name)
    check_host(host)


def encoding_of(character_set: str | None) -> str | None:
    """PostgreSQL's encoding for a Trove character set (MySQL's utf8 names mean UTF8)."""
    if character_set is None:
        return None
    if not LOCALE_NAME.match(character_set):
        raise BadRequest(f"character set {character_set!r} is not a valid name")
    return ENCODING_ALIASES.get(character_set.lower(), character_set.upper())


def check_database(database: DatabaseSpec) -> None:
    """Validate a database's name, character set and collation (a locale name)."""
    check_database_name(database.name)
    encoding_of(database.character_set)
    if database.collate is not None and not LOCALE_NAME.match(database.collate):
        raise BadRequest(f"collation {database.collate!r} is not a valid name")


def check_request(request: PrepareRequest) -> None:
    """Validate every name in a prepare request."""
    for database in request.databases:
        check_database(database)
    seen: set[str] = set()
    for user in request.users:
        check_account(user.name, user.host)
        if user.name in seen:
            raise BadRequest(f"user {user.name!r} is listed twice")
        seen.add(user.name)
        for granted in user.databases:
            check_database_name(granted)
