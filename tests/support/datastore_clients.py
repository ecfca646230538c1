"""What a user of each datastore does from the host, for tests parametrized over datastores:
log in with the real driver (PyMySQL for MariaDB, psycopg for PostgreSQL), run SQL, and tell
why a login was refused; plus the few facts and statements that differ between engines."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Container, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import psycopg
import pymysql

from strongroom.contracts.agent import ParameterValue
from strongroom_agent.engines.mariadb.config import size_for as mariadb_size_for
from strongroom_agent.engines.postgresql.config import size_for as postgresql_size_for

CONNECT_TIMEOUT = 5


class Refusal(StrEnum):
    """Why a login failed, in the user's terms."""

    CREDENTIALS = "credentials"
    """Wrong password, no such user, or not allowed from this address."""
    DATABASE = "database"
    """Logged in, but the user may not use that database."""


class Session:
    """A logged-in user's connection (autocommit), as any DB-API driver offers it."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def query(self, statement: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Run one statement; its rows ([] when it returns none)."""
        cur = self.conn.cursor()
        try:
            cur.execute(statement, tuple(params) or None)
            return [tuple(row) for row in cur.fetchall()] if cur.description else []
        finally:
            cur.close()

    def one(self, statement: str, params: Sequence[object] = ()) -> tuple[Any, ...]:
        rows = self.query(statement, params)
        assert len(rows) == 1, rows
        return rows[0]

    def close(self) -> None:
        self.conn.close()


@dataclass(frozen=True)
class ConfigCase:
    """Parameters a configuration test uses on this engine (its defaults at 256 MiB)."""

    dynamic: str
    dynamic_value: int
    dynamic_other: int
    dynamic_default: str
    static: str
    static_value: int
    static_default: str
    slow_threshold: dict[str, ParameterValue]
    """Overrides making a 0.3 s statement slow."""
    slow_on: dict[str, str]
    """Effective settings while the slow query log is on (with `slow_threshold`)."""
    slow_off: dict[str, str]
    general_on: dict[str, str]
    """Effective settings while the general log is on."""
    general_off: dict[str, str]
    bad: tuple[tuple[dict[str, ParameterValue], str], ...]
    """Refused overrides, each with a word of the refusal."""


class DatastoreClient(ABC):
    """One datastore as a user and a test see it."""

    name: str
    version: str
    port: int
    data_subdir: str
    """The engine's directory on the data volume."""
    pidfile: str
    """The engine's pid file, relative to the agent's run dir."""
    log_subdir: str
    """The engine's directory in the agent's log dir."""
    process_name: str
    version_word: str
    """A word the engine's version string contains."""
    login_database: str | None
    """The database a login names when the test names none."""
    reserved_users: tuple[str, ...]
    system_databases: tuple[str, ...]
    public_databases: frozenset[str]
    """Databases every user sees besides those granted."""
    user_hosts: bool
    """Whether a user may be limited to a host (MariaDB accounts); else only `%`."""
    database_options: tuple[str, str]
    """A character set and collation the engine accepts for a new database, as it lists them."""
    config: ConfigCase
    sleep: str
    """A statement that sleeps 0.3 s."""
    statement_counter: str
    """The metric counting the statements a user runs (autocommit: one per statement)."""
    engine_metrics: tuple[str, ...]
    """Metric fields the engine always reports while up."""
    literal_mark: str
    """What stands for a literal in a normalised statement."""
    agent_words: tuple[str, ...]
    """Words of the agent's own statements (never among the user's top statements)."""
    backup_tool: str
    incremental_backups: bool
    driver: Any
    """The DB-API driver module a user logs in with."""
    database_keyword: str
    """The name of the driver's `connect` argument naming the database."""
    refused: type[Exception]
    """The driver's error for a login the server refuses."""
    refusal_signs: dict[Refusal, tuple[object, ...]]
    """Per reason, what `_said` holds of a refusal for that reason (any one of them)."""
    database_options_query: str
    """Character set and collation of the session's database, as one row."""
    sizing_query: str
    """Buffer pool / shared buffers in MiB and max_connections, as one row."""

    @contextmanager
    def session(
        self, host: str, port: int, user: str, password: str, database: str | None = None
    ) -> Iterator[Session]:
        """A real TCP login; closed on exit."""
        session = Session(self._connect(host, port, user, password, database))
        try:
            yield session
        finally:
            session.close()

    def refusal(
        self, host: str, port: int, user: str, password: str, database: str | None = None
    ) -> Refusal | None:
        """Why a TCP login is refused, or None when it succeeds."""
        try:
            self._connect(host, port, user, password, database).close()
        except Exception as exc:  # each driver's own error class, classified below
            return self._classify(exc)
        return None

    def _connect(self, host: str, port: int, user: str, password: str, database: str | None) -> Any:
        return self.driver.connect(
            host=host,
            port=port,
            user=user,
            password=password,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT,
            **{self.database_keyword: database or self.login_database},
        )

    def _classify(self, exc: Exception) -> Refusal:
        """The reason of a refused login; any other error is raised again."""
        if isinstance(exc, self.refused):
            said = self._said(exc)
            for refusal, signs in self.refusal_signs.items():
                if any(sign in said for sign in signs):
                    return refusal
        raise exc

    @abstractmethod
    def _said(self, exc: Exception) -> Container[object]:
        """What of a refusal tells its reason (an error code, or the server's words)."""

    def current_database_options(self, session: Session) -> tuple[str, str]:
        """Character set and collation of the session's database."""
        row = session.one(self.database_options_query)
        return str(row[0]), str(row[1])

    def sizing(self, session: Session) -> tuple[int, int]:
        """(buffer pool / shared buffers in MiB, max_connections) of the running server."""
        row = session.one(self.sizing_query)
        return int(row[0]), int(row[1])

    @abstractmethod
    def expected_sizing(self, memory_mib: int) -> tuple[int, int]:
        """What `sizing` should read for a memory limit."""

    @abstractmethod
    def is_superuser(self, session: Session) -> bool: ...

    @abstractmethod
    def visible_databases(self, session: Session) -> set[str]:
        """The databases the session's user may use."""

    @abstractmethod
    def setting(self, session: Session, name: str) -> str:
        """A server setting as a user reads it."""

    @abstractmethod
    def insert_series(self, first: int, last: int, note: str) -> str:
        """Insert rows `first`..`last` of `items (id, note, amount)`: note `<note>-<id>`
        padded with up to 149 `x`, amount id * 1.25."""

    @abstractmethod
    def upsert(self) -> str:
        """Insert or replace a row of `items (id, name)` (two parameters)."""


class MariadbClient(DatastoreClient):
    name = "mariadb"
    version = "10.11"
    port = 3306
    data_subdir = "mysql"
    pidfile = "mariadb/mariadbd.pid"
    log_subdir = "mariadb"
    process_name = "mariadbd"
    version_word = "MariaDB"
    login_database = None
    reserved_users = ("root", "ROOT", "mysql", "mariadb.sys")
    system_databases = ("mysql", "information_schema", "sys", "performance_schema")
    public_databases = frozenset({"information_schema"})
    user_hosts = True
    database_options = ("utf8mb4", "utf8mb4_bin")
    config = ConfigCase(
        dynamic="max_connections",
        dynamic_value=77,
        dynamic_other=60,
        dynamic_default=str(mariadb_size_for(256).max_connections),
        static="innodb_log_buffer_size",  # read-only at run time in 10.11
        static_value=32 * 1024 * 1024,
        static_default=str(16 * 1024 * 1024),
        slow_threshold={"long_query_time": 0.1},
        slow_on={"slow_query_log": "ON", "long_query_time": "0.100000"},
        slow_off={"slow_query_log": "OFF"},
        general_on={"general_log": "ON"},
        general_off={"general_log": "OFF"},
        bad=(
            ({"datadir": "/tmp"}, "managed"),
            ({"bind_address": "0.0.0.0"}, "managed"),
            ({"Max_Connections": 10}, "must match"),
            ({"max_connections; DROP": 10}, "must match"),
            ({"no_such_variable": 1}, "unknown"),
            ({"sql_mode": "ANSI\n[mariadbd]"}, "printable"),
            ({"max_connections": "many"}, "must be a number"),
            ({"innodb_log_buffer_size": "lots"}, "must be a number"),
            ({"max_connections": 1.5}, "refused"),
        ),
    )
    sleep = "SELECT SLEEP(0.3)"
    statement_counter = "questions_total"
    engine_metrics = (
        "connections",
        "max_connections",
        "threads_running",
        "queries_total",
        "questions_total",
        "buffer_read_requests_total",
        "buffer_reads_total",
    )
    literal_mark = "?"
    backup_tool = "mariabackup"
    incremental_backups = True
    agent_words = ("GLOBAL STATUS", "sql_log_off", "INSTRUMENTED", "SELECT ?")
    driver = pymysql
    database_keyword = "database"
    refused = pymysql.err.OperationalError
    refusal_signs = {Refusal.CREDENTIALS: (1045, 1698), Refusal.DATABASE: (1044,)}
    database_options_query = "SELECT @@character_set_database, @@collation_database"
    sizing_query = "SELECT @@innodb_buffer_pool_size DIV 1048576, @@max_connections"

    def _said(self, exc: Exception) -> Container[object]:
        return exc.args[:1]  # the server's error code

    def expected_sizing(self, memory_mib: int) -> tuple[int, int]:
        sizing = mariadb_size_for(memory_mib)
        return sizing.buffer_pool_mib, sizing.max_connections

    def is_superuser(self, session: Session) -> bool:
        return "WITH GRANT OPTION" in str(session.one("SHOW GRANTS")[0])

    def visible_databases(self, session: Session) -> set[str]:
        return {str(row[0]) for row in session.query("SHOW DATABASES")}

    def setting(self, session: Session, name: str) -> str:
        return str(session.one("SHOW GLOBAL VARIABLES LIKE %s", (name,))[1])

    def insert_series(self, first: int, last: int, note: str) -> str:
        return (
            f"INSERT INTO items SELECT seq, CONCAT('{note}-', seq, '-', REPEAT('x', seq % 150)),"
            f" seq * 1.25 FROM seq_{first}_to_{last}"
        )

    def upsert(self) -> str:
        return "REPLACE INTO items VALUES (%s, %s)"


class PostgresqlClient(DatastoreClient):
    name = "postgresql"
    version = "15"
    port = 5432
    data_subdir = "postgresql"
    pidfile = "postgresql/postgres.pid"
    log_subdir = "postgresql"
    process_name = "postgres"
    version_word = "PostgreSQL"
    login_database = "postgres"
    reserved_users = ("root", "ROOT", "postgres", "pg_monitor")
    system_databases = ("postgres", "template0", "template1")
    public_databases = frozenset({"postgres"})
    user_hosts = False
    database_options = ("UTF8", "C")
    config = ConfigCase(
        dynamic="work_mem",
        dynamic_value=8192,
        dynamic_other=6000,
        dynamic_default="4096",
        static="max_locks_per_transaction",  # postmaster context
        static_value=128,
        static_default="64",
        slow_threshold={"log_min_duration_statement": 100},
        slow_on={"log_min_duration_statement": "100"},
        slow_off={"log_min_duration_statement": "-1"},
        general_on={"log_statement": "all"},
        general_off={"log_statement": "none"},
        bad=(
            ({"data_directory": "/tmp"}, "managed"),
            ({"listen_addresses": "*"}, "managed"),
            ({"shared_preload_libraries": "x"}, "managed"),
            ({"Work_Mem": 10}, "must match"),
            ({"work_mem; DROP": 10}, "must match"),
            ({"no_such_setting": 1}, "unknown"),
            ({"search_path": "a\nb"}, "printable"),
            ({"work_mem": 1.5}, "integer"),
            ({"work_mem": 10}, "within"),
            ({"work_mem": "many"}, "must be a number"),
            ({"max_locks_per_transaction": "lots"}, "must be a number"),
            ({"work_mem": "10 parsecs"}, "must be a number"),
            ({"statement_timeout": "5 kB"}, "refused"),
            ({"synchronous_commit": "sometimes"}, "one of"),
            ({"jit": "maybe"}, "boolean"),
        ),
    )
    sleep = "SELECT pg_sleep(0.3)"
    statement_counter = "transactions_committed_total"
    engine_metrics = (
        "connections",
        "max_connections",
        "threads_running",
        "connections_idle_in_transaction",
        "transactions_committed_total",
        "transactions_rolled_back_total",
        "buffer_read_requests_total",
        "buffer_reads_total",
        "deadlocks_total",
        "temp_bytes_total",
        "database_size_bytes",
        "transaction_id_age",
    )
    literal_mark = "$1"
    backup_tool = "pg_basebackup"
    incremental_backups = False
    agent_words = ("pg_stat_database", "pg_stat_activity", "pg_settings", "pg_roles")
    driver = psycopg
    database_keyword = "dbname"
    refused = psycopg.OperationalError
    refusal_signs = {
        Refusal.CREDENTIALS: ("password authentication failed", "not permitted to log in"),
        Refusal.DATABASE: ("permission denied for database",),
    }
    database_options_query = (
        "SELECT pg_encoding_to_char(encoding), datcollate FROM pg_database"
        " WHERE datname = current_database()"
    )
    sizing_query = (
        "SELECT (SELECT setting::int * 8 / 1024 FROM pg_settings"
        " WHERE name = 'shared_buffers'), current_setting('max_connections')::int"
    )

    def _said(self, exc: Exception) -> Container[object]:
        return str(exc)  # the server's words

    def expected_sizing(self, memory_mib: int) -> tuple[int, int]:
        sizing = postgresql_size_for(memory_mib)
        return sizing.shared_buffers_mib, sizing.max_connections

    def is_superuser(self, session: Session) -> bool:
        return bool(session.one("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")[0])

    def visible_databases(self, session: Session) -> set[str]:
        rows = session.query(
            "SELECT datname FROM pg_database"
            " WHERE NOT datistemplate AND has_database_privilege(datname, 'CONNECT')"
        )
        return {str(row[0]) for row in rows}

    def setting(self, session: Session, name: str) -> str:
        return str(session.one("SELECT setting FROM pg_settings WHERE name = %s", (name,))[0])

    def insert_series(self, first: int, last: int, note: str) -> str:
        return (
            f"INSERT INTO items SELECT g, '{note}-' || g || '-' || repeat('x', g % 150),"
            f" g * 1.25 FROM generate_series({first}, {last}) g"
        )

    def upsert(self) -> str:
        return (
            "INSERT INTO items VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name"
        )


MARIADB = MariadbClient()
POSTGRESQL = PostgresqlClient()
CLIENTS: dict[str, DatastoreClient] = {client.name: client for client in (MARIADB, POSTGRESQL)}
