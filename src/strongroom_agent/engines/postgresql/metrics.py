"""PostgreSQL's activity as the contract's datastore-neutral metrics, and its top statements.

Counters are the sums of `pg_stat_database` over every database (blocks hit + read are the
buffer read requests, blocks read the misses); connections come from `pg_stat_activity`
(client backends only, the sampling session left out); statements from
`pg_stat_statements` (loaded at start, created in the maintenance database at prepare;
the agent's own sessions are not tracked, see `sql`); WAL archive health from
`pg_stat_archiver` and the files waiting in `pg_wal/archive_status`.
"""

from __future__ import annotations

from pathlib import Path

import psycopg

from strongroom.contracts.metrics import EngineMetrics, QueryDigest
from strongroom_agent.engines.postgresql import sql

_DATABASE_SQL = """
SELECT sum(xact_commit), sum(xact_rollback), sum(blks_hit) + sum(blks_read), sum(blks_read),
       sum(deadlocks), sum(temp_bytes),
       (SELECT sum(pg_database_size(oid)) FROM pg_database WHERE datallowconn),
       (SELECT max(age(datfrozenxid)) FROM pg_database)
FROM pg_stat_database
"""
_ACTIVITY_SQL = """
SELECT count(*), count(*) FILTER (WHERE state = 'active'),
       count(*) FILTER (WHERE state LIKE 'idle in transaction%%'),
       current_setting('max_connections')::int
FROM pg_stat_activity
WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
"""
_ARCHIVER_SQL = """
SELECT failed_count, EXTRACT(EPOCH FROM now() - last_archived_time)::float8,
       (SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%%.ready')
FROM pg_stat_archiver
"""
_STATEMENTS_SQL = """
SELECT s.queryid, d.datname, s.query, s.calls, s.total_exec_time, s.rows
FROM pg_stat_statements s LEFT JOIN pg_database d ON d.oid = s.dbid
WHERE s.queryid IS NOT NULL
ORDER BY s.total_exec_time DESC
LIMIT %s
"""
_DATABASE_FIELDS = (
    "transactions_committed_total",
    "transactions_rolled_back_total",
    "buffer_read_requests_total",
    "buffer_reads_total",
    "deadlocks_total",
    "temp_bytes_total",
    "database_size_bytes",
    "transaction_id_age",
)


def sample(socket_dir: Path, port: int) -> EngineMetrics:
    """Counters and gauges; `up=False` when the server does not answer."""
    try:
        with sql.connect(socket_dir, port) as conn:
            totals = conn.execute(_DATABASE_SQL).fetchone() or ()
            activity = conn.execute(_ACTIVITY_SQL).fetchone() or ()
            failures, archived_age, pending = conn.execute(_ARCHIVER_SQL).fetchone() or (
                None,
                None,
                None,
            )
    except psycopg.Error:
        return EngineMetrics(up=False)
    values: dict[str, int | None] = {
        field: None if value is None else int(value)
        for field, value in zip(_DATABASE_FIELDS, totals, strict=False)
    }
    connections, active, idle_in_transaction, max_connections = activity
    values.update(
        connections=int(connections),
        threads_running=int(active),
        connections_idle_in_transaction=int(idle_in_transaction),
        max_connections=int(max_connections),
    )
    archiver = {
        "wal_archive_failures_total": failures,
        "wal_archive_pending": pending,
        "wal_archived_age_seconds": archived_age,
    }
    return EngineMetrics.model_validate({"up": True, **values, **archiver})


def top_queries(socket_dir: Path, port: int, limit: int) -> list[QueryDigest]:
    """The `limit` statements with the largest total execution time."""
    with sql.admin(socket_dir, port) as conn:
        rows = conn.execute(_STATEMENTS_SQL, (limit,)).fetchall()
    return [_digest(row) for row in rows]


def _digest(row: tuple[object, ...]) -> QueryDigest:
    queryid, database, text, calls, total_ms, rows = row
    count = int(str(calls))
    total = float(str(total_ms))
    return QueryDigest(
        digest=str(queryid),
        schema_name=None if database is None else str(database),
        text=str(text or "").strip(),
        calls=count,
        total_time_ms=round(total, 3),
        mean_time_ms=round(total / count, 3) if count else 0.0,
        rows_sent=int(str(rows)),
        rows_affected=0,
        rows_examined=0,
    )
