"""The agent's metric models (part of the wire contract; paths in `contracts.agent`).

Names are datastore-neutral: every engine maps its own counters onto them and leaves None
where it has no equivalent. Fields ending in `_total` are counters since the engine started
(they drop to zero on a restart); the others are gauges at `taken_at`. Digests are
normalised statement texts (literals replaced by `?`), so they never carry values.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from strongroom.contracts.agent import WireModel

TOP_QUERIES_MAX = 100
"""Most digests one top-queries answer carries."""


class EngineMetrics(WireModel):
    """The engine's activity; None where the engine has no such figure or is down."""

    up: bool = Field(description="Whether the engine answered the sampling query.")
    connections: int | None = Field(None, description="Client connections open now.")
    max_connections: int | None = Field(None, description="Most client connections allowed.")
    threads_running: int | None = Field(None, description="Connections executing right now.")
    queries_total: int | None = Field(None, description="Statements run, internal included.")
    questions_total: int | None = Field(None, description="Statements sent by clients.")
    slow_queries_total: int | None = Field(None, description="Statements over the slow limit.")
    aborted_connects_total: int | None = Field(None, description="Failed connection attempts.")
    buffer_read_requests_total: int | None = Field(
        None, description="Logical page reads from the buffer pool / shared buffers."
    )
    buffer_reads_total: int | None = Field(
        None, description="Page reads that missed the buffer and went to disk."
    )
    row_lock_waits_total: int | None = Field(None, description="Times a row lock was waited for.")
    connections_idle_in_transaction: int | None = Field(
        None, description="Client connections idle inside an open transaction."
    )
    transactions_committed_total: int | None = Field(None, description="Transactions committed.")
    transactions_rolled_back_total: int | None = Field(
        None, description="Transactions rolled back."
    )
    deadlocks_total: int | None = Field(None, description="Deadlocks detected.")
    temp_bytes_total: int | None = Field(
        None, description="Bytes written to temporary files by queries (sorts, hashes)."
    )
    database_size_bytes: int | None = Field(None, description="Size of every database together.")
    transaction_id_age: int | None = Field(
        None, description="Transactions since the oldest unfrozen id (wraparound at ~2 billion)."
    )
    replication_lag_seconds: float | None = Field(
        None, description="How far a replica's replay is behind its primary."
    )
    wal_archived_age_seconds: float | None = Field(
        None, description="Seconds since the engine last archived a WAL file (None: never)."
    )
    wal_archive_failures_total: int | None = Field(
        None, description="Attempts to archive a WAL file that failed."
    )
    wal_archive_pending: int | None = Field(
        None, description="Finished WAL files waiting to be archived."
    )


class VolumeMetrics(WireModel):
    """The data volume as the file system reports it."""

    used_bytes: int
    free_bytes: int
    total_bytes: int
    inodes_used: int
    inodes_free: int


class MetricsSample(WireModel):
    """Response of `GET /v1/metrics`: one sample of the engine and its volume."""

    taken_at: datetime
    engine: EngineMetrics
    volume: VolumeMetrics


class QueryDigest(WireModel):
    """One normalised statement and what it cost since the engine started (or the digest
    table was last reset)."""

    digest: str = Field(description="The engine's digest id of the normalised text.")
    schema_name: str | None = Field(None, description="Default database of the statements.")
    text: str = Field(description="Normalised statement text (literals are `?`).")
    calls: int
    total_time_ms: float
    mean_time_ms: float
    rows_sent: int
    rows_affected: int
    rows_examined: int


class TopQueries(WireModel):
    """Response of `GET /v1/metrics/top-queries?limit=`: digests by total time, largest first."""

    taken_at: datetime
    queries: list[QueryDigest]
