"""MariaDB name rules: which database, user, host and character set names prepare accepts."""

from __future__ import annotations

import re

from strongroom.contracts.agent import DatabaseSpec, PrepareRequest
from strongroom.contracts.errors import BadRequest

DATABASE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_$-]{0,63}$")
USER_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$")
HOST_PATTERN = re.compile(r"^[A-Za-z0-9%_.:/-]{1,255}$")
CHARSET_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")

RESERVED_DATABASES = frozenset({"mysql", "information_schema", "performance_schema", "sys"})
RESERVED_USERS = frozenset({"root", "mysql", "mariadb.sys", "public"})


def check_database_name(name: str) -> None:
    """Refuse a database name MariaDB or the service reserves or that needs escaping."""
    if not DATABASE_NAME.match(name):
        raise BadRequest(
            f"database name {name!r} must be 1-64 characters of letters, digits, _ $ -"
        )
    if name.lower() in RESERVED_DATABASES:
        raise BadRequest(f"database name {name!r} is reserved")


def check_user_name(name: str) -> None:
    """Refuse a user name that is reserved or not plain."""
    if not USER_NAME.match(name):
        raise BadRequest(f"user name {name!r} must be 1-80 characters of letters, digits, _ . -")
    if name.lower() in RESERVED_USERS:
        raise BadRequest(f"user name {name!r} is reserved")


def check_host(host: str) -> None:
    """Refuse a host pattern with characters MariaDB account hosts never need."""
    if not HOST_PATTERN.match(host):
        raise BadRequest(f"host {host!r} must be an address, name or pattern (% _ allowed)")


def check_charset(kind: str, value: str | None) -> None:
    """Refuse a character set or collation name that is not a plain word."""
    if value is not None and not CHARSET_NAME.match(value):
        raise BadRequest(f"{kind} {value!r} is not a valid name")


def check_database(database: DatabaseSpec) -> None:
    """Validate a database's name, character set and collation."""
    check_database_name(database.name)
    check_charset("character set", database.character_set)
    check_charset("collation", database.collate)


def check_account(name: str, host: str) -> None:
    """Validate a user name (reserved ones refused) and its host pattern."""
    check_user_name(name)
    check_host(host)


def check_request(request: PrepareRequest) -> None:
    """Validate every name in a prepare request; grants must name requested or plain DBs."""
    for database in request.databases:
        check_database(database)
    seen: set[tuple[str, str]] = set()
    for user in request.users:
        check_account(user.name, user.host)
        if (user.name, user.host) in seen:
            raise BadRequest(f"user {user.name!r}@{user.host!r} is listed twice")
        seen.add((user.name, user.host))
        for granted in user.databases:
            check_database_name(granted)


def quote_identifier(name: str) -> str:
    """Backtick-quote an identifier (backticks doubled); use on validated names only."""
    if "\x00" in name:
        raise BadRequest("identifiers cannot contain NUL")
    return "`" + name.replace("`", "``") + "`"
