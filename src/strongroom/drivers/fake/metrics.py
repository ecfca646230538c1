"""Synthetic usage and engine metrics for the fake drivers.

Counters grow with the wall clock (100 "ticks" a second), so successive samples show
activity without the fake world keeping any record of its own. Tests steer the rest through
a `usage-override` record (any field of the sample by name, e.g. `oom_kills` or
`volume_used_bytes`), which goes with the sandbox.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from strongroom.contracts.metrics import EngineMetrics, MetricsSample, QueryDigest, VolumeMetrics
from strongroom.drivers.fake.world import FakeWorld
from strongroom.drivers.usage import DiskIo, InterfaceBytes, SandboxUsage

MIB = 1024 * 1024
VOLUME_BYTES = 1024 * MIB
OVERRIDE = "usage-override"


TICKS_PER_SECOND = 100
_BASE = 1_780_000_000.0  # a fixed point in 2026, so that counters start small


def _ticks() -> int:
    return int((time.time() - _BASE) * TICKS_PER_SECOND)


def _override(world: FakeWorld, instance_id: str) -> dict[str, Any]:
    return world.get(OVERRIDE, instance_id) or {}


def sandbox_usage(world: FakeWorld, instance_id: str, ram_mb: int) -> SandboxUsage:
    """CPU, memory, network and disk counters that grow with every read."""
    ticks, extra = _ticks(), _override(world, instance_id)
    return SandboxUsage(
        cpu_ns=int(extra.get("cpu_ns", ticks * 500_000)),
        memory_bytes=int(extra.get("memory_bytes", 100 * MIB + ticks % MIB)),
        memory_limit_bytes=ram_mb * MIB,
        oom_kills=int(extra.get("oom_kills", 0)),
        pids=int(extra.get("pids", 12)),
        network={
            "management": InterfaceBytes(rx_bytes=ticks * 500, tx_bytes=ticks * 2000),
            "user": InterfaceBytes(rx_bytes=ticks * 1000, tx_bytes=ticks * 4000),
        },
        disk=DiskIo(ticks * 4096, ticks * 8192, ticks, ticks * 2),
    )


def engine_sample(world: FakeWorld, instance_id: str, running: bool) -> MetricsSample:
    """Engine counters growing with every read; `up` follows the engine record."""
    ticks, extra = _ticks(), _override(world, instance_id)
    used = int(extra.get("volume_used_bytes", 50 * MIB))
    engine = EngineMetrics(
        up=running,
        connections=int(extra.get("connections", 3)),
        max_connections=100,
        threads_running=1,
        queries_total=ticks * 120,
        questions_total=ticks * 100,
        slow_queries_total=0,
        aborted_connects_total=0,
        buffer_read_requests_total=ticks * 1000,
        buffer_reads_total=ticks * 10,
        row_lock_waits_total=0,
    )
    volume = VolumeMetrics(
        used_bytes=used,
        free_bytes=VOLUME_BYTES - used,
        total_bytes=VOLUME_BYTES,
        inodes_used=1000,
        inodes_free=64000,
    )
    return MetricsSample(
        taken_at=datetime.now(UTC),
        engine=engine if running else EngineMetrics(up=False),
        volume=volume,
    )


def top_queries(databases: list[str], limit: int) -> list[QueryDigest]:
    """One made-up digest per database of the engine record, then a `SELECT ?`."""
    texts = [f"SELECT * FROM `{name}` . `t` WHERE `id` = ?" for name in databases]
    texts.append("SELECT ?")
    return [
        QueryDigest(
            digest=f"fake{i:04d}",
            schema_name=None,
            text=text,
            calls=10 * (len(texts) - i),
            total_time_ms=5.0 * (len(texts) - i),
            mean_time_ms=0.5,
            rows_sent=10 * (len(texts) - i),
            rows_affected=0,
            rows_examined=20 * (len(texts) - i),
        )
        for i, text in enumerate(texts)
    ][:limit]
