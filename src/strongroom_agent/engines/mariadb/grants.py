"""Database-level grants: ALL PRIVILEGES on `db`.* for a user, listed from `mysql.db`.

In a database-level GRANT, `_` and `%` are wildcards: granting on `a_b` would also open `aXb`.
Grants are therefore issued on the escaped pattern (`a\\_b`); listing unescapes, and revoking
removes whichever stored form names the database (older grants may be unescaped).
"""

from __future__ import annotations

from pymysql.connections import Connection

from strongroom_agent.engines.mariadb.names import quote_identifier


def grant_pattern(database: str) -> str:
    """The database name with the wildcards of a database-level grant escaped."""
    return database.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")


def database_of(pattern: str) -> str:
    """The database a stored grant pattern names (inverse of `grant_pattern`)."""
    out: list[str] = []
    chars = iter(pattern)
    for char in chars:
        out.append(next(chars, "\\") if char == "\\" else char)
    return "".join(out)


def grant_statement(database: str) -> str:
    """`GRANT ALL` on one database to the account bound as two parameters."""
    return f"GRANT ALL PRIVILEGES ON {quote_identifier(grant_pattern(database))}.* TO %s@%s"


def revoke_statement(pattern: str) -> str:
    """`REVOKE ALL` on one stored grant pattern from the account bound as two parameters."""
    return f"REVOKE ALL PRIVILEGES ON {quote_identifier(pattern)}.* FROM %s@%s"


def grant(conn: Connection, name: str, host: str, databases: list[str]) -> None:
    """All privileges on each database for `name`@`host`."""
    with conn.cursor() as cur:
        for database in databases:
            cur.execute(grant_statement(database), (name, host))


def databases_of(conn: Connection, name: str, host: str) -> list[str]:
    """Databases `name`@`host` has a grant on, sorted."""
    with conn.cursor() as cur:
        cur.execute("SELECT Db FROM mysql.db WHERE User = %s AND Host = %s", (name, host))
        return sorted({database_of(row[0]) for row in cur.fetchall()})


def revoke(conn: Connection, name: str, host: str, database: str) -> None:
    """Remove every grant of `name`@`host` that names `database`; no-op when there is none."""
    with conn.cursor() as cur:
        cur.execute("SELECT Db FROM mysql.db WHERE User = %s AND Host = %s", (name, host))
        patterns = [row[0] for row in cur.fetchall() if database_of(row[0]) == database]
        for pattern in patterns:
            cur.execute(revoke_statement(pattern), (name, host))


def revoke_everyone(conn: Connection, database: str) -> None:
    """Remove every user's grants on `database`."""
    with conn.cursor() as cur:
        cur.execute("SELECT User, Host, Db FROM mysql.db")
        rows = [row for row in cur.fetchall() if database_of(row[2]) == database]
        for name, host, pattern in rows:
            cur.execute(revoke_statement(pattern), (name, host))
