"""Every metric Strongroom keeps per instance: its name, kind, unit and meaning.

Gauges are stored as sampled and averaged when downsampled. Counters (`*_total`) are stored
as the raw running totals (the last one of each minute when downsampled) and turned into
per-second rates at query time, treating a drop as a reset (engine or sandbox restart), as
Prometheus does: a restart, a missed sample or a second worker never corrupts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    GAUGE = "gauge"
    COUNTER = "counter"


@dataclass(frozen=True)
class MetricInfo:
    name: str
    kind: Kind
    unit: str
    help: str


def _g(name: str, unit: str, help: str) -> MetricInfo:
    return MetricInfo(name, Kind.GAUGE, unit, help)


def _c(name: str, unit: str, help: str) -> MetricInfo:
    return MetricInfo(name, Kind.COUNTER, unit, help)


CATALOG: dict[str, MetricInfo] = {
    m.name: m
    for m in (
        # the sandbox, read on the host
        _c("cpu_seconds_total", "seconds", "CPU time of every process in the sandbox."),
        _g("memory_bytes", "bytes", "Memory in use by the sandbox (page cache included)."),
        _g("memory_limit_bytes", "bytes", "Memory limit of the sandbox (the flavor's RAM)."),
        _c("oom_kills_total", "kills", "Processes killed for running out of memory."),
        _g("pids", "processes", "Processes running in the sandbox."),
        _c("network_rx_bytes_total", "bytes", "Bytes received on the user network."),
        _c("network_tx_bytes_total", "bytes", "Bytes sent on the user network."),
        _c("management_rx_bytes_total", "bytes", "Bytes received from the control plane."),
        _c("management_tx_bytes_total", "bytes", "Bytes sent to the control plane."),
        _c("disk_read_bytes_total", "bytes", "Bytes read from the data volume."),
        _c("disk_write_bytes_total", "bytes", "Bytes written to the data volume."),
        _c("disk_reads_total", "operations", "Read operations on the data volume."),
        _c("disk_writes_total", "operations", "Write operations on the data volume."),
        # the engine, sampled by the agent
        _g("engine_up", "boolean", "1 when the engine answered the sampling query."),
        _g("connections", "connections", "Client connections open."),
        _g("max_connections", "connections", "Most client connections allowed."),
        _g("threads_running", "threads", "Connections executing a statement."),
        _c("queries_total", "statements", "Statements run, internal ones included."),
        _c("questions_total", "statements", "Statements sent by clients."),
        _c("slow_queries_total", "statements", "Statements slower than the slow limit."),
        _c("aborted_connects_total", "connections", "Failed connection attempts."),
        _c("buffer_read_requests_total", "pages", "Logical page reads from the buffer pool."),
        _c("buffer_reads_total", "pages", "Page reads that missed the buffer pool (disk)."),
        _c("row_lock_waits_total", "waits", "Times a statement waited for a row lock."),
        _g("connections_idle_in_transaction", "connections", "Idle in an open transaction."),
        _c("transactions_committed_total", "transactions", "Transactions committed."),
        _c("transactions_rolled_back_total", "transactions", "Transactions rolled back."),
        _c("deadlocks_total", "deadlocks", "Deadlocks detected."),
        _c("temp_bytes_total", "bytes", "Bytes queries wrote to temporary files."),
        _g("database_size_bytes", "bytes", "Size of every database together."),
        _g("transaction_id_age", "transactions", "Age of the oldest unfrozen transaction id."),
        _g("replication_lag_seconds", "seconds", "Replay delay of a replica behind its primary."),
        _g("wal_archived_age_seconds", "seconds", "Time since the last WAL file was archived."),
        _c("wal_archive_failures_total", "attempts", "Failed attempts to archive a WAL file."),
        _g("wal_archive_pending", "files", "Finished WAL files waiting to be archived."),
        # the data volume, seen by the agent
        _g("volume_used_bytes", "bytes", "Bytes used on the data volume."),
        _g("volume_free_bytes", "bytes", "Bytes free on the data volume."),
        _g("volume_total_bytes", "bytes", "Size of the data volume's file system."),
        _g("volume_inodes_used", "inodes", "Inodes used on the data volume."),
        _g("volume_inodes_free", "inodes", "Inodes free on the data volume."),
    )
}


DERIVED: dict[str, MetricInfo] = {
    "buffer_hit_ratio": _g(
        "buffer_hit_ratio",
        "ratio",
        "Share of page reads served from the buffer pool (1 - reads / read requests), per "
        "step; computed at query time, not stored.",
    ),
}
"""Series computed from stored counters when asked for."""


def is_counter(name: str) -> bool:
    info = CATALOG.get(name)
    return info is not None and info.kind is Kind.COUNTER
