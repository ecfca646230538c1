"""MariaDB's activity as the contract's datastore-neutral metrics, and its statement digests.

Counters come from `SHOW GLOBAL STATUS`; digests from `performance_schema`, which the
rendered configuration switches on with small, fixed sizes (`options`): statement
instruments and the digest summary only, no history tables, no per-account/host/user
tables. Measured on 10.11: about 31 MB of performance_schema memory (RSS +17 MB at start)
instead of 98 MB with the defaults. The agent's own sessions are not instrumented
(`sql.connect`: its first statement, which does that, is filtered out here), so its probes
never show up among the user's queries.
"""

from __future__ import annotations

from pathlib import Path

import pymysql

from strongroom.contracts.metrics import EngineMetrics, QueryDigest
from strongroom_agent.engines.mariadb import sql

# contract field -> MariaDB status variable
_STATUS = {
    "connections": "Threads_connected",
    "threads_running": "Threads_running",
    "queries_total": "Queries",
    "questions_total": "Questions",
    "slow_queries_total": "Slow_queries",
    "aborted_connects_total": "Aborted_connects",
    "buffer_read_requests_total": "Innodb_buffer_pool_read_requests",
    "buffer_reads_total": "Innodb_buffer_pool_reads",
    "row_lock_waits_total": "Innodb_row_lock_waits",
}
_PICOSECONDS_PER_MS = 1e9
DIGESTS_SIZE = 200
DIGEST_TEXT_LENGTH = 1024
BACKGROUND_THREADS = 50
"""Thread slots performance_schema keeps beyond `max_connections` (InnoDB, purge, ...)."""

_DIGEST_SQL = """
SELECT DIGEST, SCHEMA_NAME, DIGEST_TEXT, COUNT_STAR, SUM_TIMER_WAIT,
       SUM_ROWS_SENT, SUM_ROWS_AFFECTED, SUM_ROWS_EXAMINED
FROM performance_schema.events_statements_summary_by_digest
WHERE DIGEST IS NOT NULL AND DIGEST_TEXT NOT LIKE 'UPDATE `performance_schema` . `threads`%%'
ORDER BY SUM_TIMER_WAIT DESC
LIMIT %s
"""


def options(max_connections: int) -> dict[str, str]:
    """Server options for statement digests with bounded performance_schema memory."""
    small = {
        "accounts-size": 0,
        "hosts-size": 0,
        "users-size": 0,
        "events-statements-history-size": 0,
        "events-statements-history-long-size": 0,
        "events-stages-history-size": 0,
        "events-stages-history-long-size": 0,
        "events-waits-history-size": 0,
        "events-waits-history-long-size": 0,
        "events-transactions-history-size": 0,
        "events-transactions-history-long-size": 0,
        "session-connect-attrs-size": 0,
        "max-memory-classes": 0,
        "max-file-instances": 1000,
        "max-file-handles": 1000,
        "max-table-instances": 500,
        "max-table-handles": 500,
        "max-index-stat": 1000,
        "max-table-lock-stat": 500,
        "max-mutex-instances": 2000,
        "max-rwlock-instances": 1000,
        "max-cond-instances": 500,
        "max-metadata-locks": 500,
        "max-prepared-statements-instances": 100,
        "max-program-instances": 100,
        "max-statement-stack": 4,
        "setup-actors-size": 10,
        "setup-objects-size": 10,
        "max-socket-instances": max_connections + 10,
        "max-thread-instances": max_connections + BACKGROUND_THREADS,
        "digests-size": DIGESTS_SIZE,
        "max-digest-length": DIGEST_TEXT_LENGTH,
        "max-sql-text-length": DIGEST_TEXT_LENGTH,
    }
    rendered = {"performance-schema": "ON"}
    rendered.update({f"performance-schema-{name}": str(value) for name, value in small.items()})
    return rendered


def sample(socket: Path) -> EngineMetrics:
    """Status counters and connection limits; `up=False` when the server does not answer."""
    if not socket.exists():
        return EngineMetrics(up=False)
    try:
        with sql.connect(socket) as conn, conn.cursor() as cur:
            cur.execute("SHOW GLOBAL STATUS WHERE Variable_name IN %s", (tuple(_STATUS.values()),))
            status = {str(name): int(value) for name, value in cur.fetchall()}
            cur.execute("SELECT @@max_connections")
            row = cur.fetchone()
    except pymysql.MySQLError:
        return EngineMetrics(up=False)
    values: dict[str, int | None] = {field: status.get(var) for field, var in _STATUS.items()}
    if values["connections"] is not None:
        values["connections"] = max(0, values["connections"] - 1)  # the sampling session
    values["max_connections"] = int(row[0]) if row else None
    return EngineMetrics.model_validate({"up": True, **values})


def top_queries(socket: Path, limit: int) -> list[QueryDigest]:
    """The `limit` digests with the largest total time (empty when digests are off)."""
    with sql.admin(socket) as conn, conn.cursor() as cur:
        cur.execute(_DIGEST_SQL, (limit,))
        rows = cur.fetchall()
    return [_digest(row) for row in rows]


def _digest(row: tuple[object, ...]) -> QueryDigest:
    digest, schema, text, calls, wait_ps, sent, affected, examined = row
    total_ms = int(str(wait_ps)) / _PICOSECONDS_PER_MS
    count = int(str(calls))
    return QueryDigest(
        digest=str(digest),
        schema_name=None if schema is None else str(schema),
        text=str(text or "").strip(),
        calls=count,
        total_time_ms=round(total_ms, 3),
        mean_time_ms=round(total_ms / count, 3) if count else 0.0,
        rows_sent=int(str(sent)),
        rows_affected=int(str(affected)),
        rows_examined=int(str(examined)),
    )
