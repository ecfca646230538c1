"""Driver readings as the catalog's flat `{name: value}` samples (`domain.metric_catalog`)."""

from __future__ import annotations

from strongroom.contracts.metrics import MetricsSample
from strongroom.drivers.usage import SandboxUsage

NS_PER_SECOND = 1e9
_NETWORK_NAMES = {"user": "network", "management": "management"}


def from_sandbox(usage: SandboxUsage) -> dict[str, float]:
    """CPU, memory, OOM kills, processes, network and disk counters of the sandbox."""
    values: dict[str, float] = {
        "cpu_seconds_total": round(usage.cpu_ns / NS_PER_SECOND, 6),
        "memory_bytes": float(usage.memory_bytes),
        "pids": float(usage.pids),
    }
    if usage.memory_limit_bytes is not None:
        values["memory_limit_bytes"] = float(usage.memory_limit_bytes)
    if usage.oom_kills is not None:
        values["oom_kills_total"] = float(usage.oom_kills)
    for role, counted in usage.network.items():
        prefix = _NETWORK_NAMES.get(role)
        if prefix is not None:
            values[f"{prefix}_rx_bytes_total"] = float(counted.rx_bytes)
            values[f"{prefix}_tx_bytes_total"] = float(counted.tx_bytes)
    if usage.disk is not None:
        values["disk_read_bytes_total"] = float(usage.disk.read_bytes)
        values["disk_write_bytes_total"] = float(usage.disk.write_bytes)
        values["disk_reads_total"] = float(usage.disk.reads)
        values["disk_writes_total"] = float(usage.disk.writes)
    return values


def from_engine(sample: MetricsSample) -> dict[str, float]:
    """The engine's figures it has (None ones are left out) and the volume's."""
    engine = sample.engine.model_dump(exclude={"up"}, exclude_none=True)
    values = {name: float(value) for name, value in engine.items()}
    values["engine_up"] = 1.0 if sample.engine.up else 0.0
    volume = sample.volume.model_dump()
    values.update({f"volume_{name}": float(value) for name, value in volume.items()})
    return values
