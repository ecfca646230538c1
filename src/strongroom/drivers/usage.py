"""What the compute and guest drivers report about a running instance (plain data).

Counters (`*_total`, `cpu_ns`) only grow while the sandbox or engine lives, and start again
from zero after a restart; readers turn them into rates and treat a drop as a reset.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class InterfaceBytes:
    """Bytes through one interface of the sandbox, seen from inside it."""

    rx_bytes: int
    tx_bytes: int


@dataclass(frozen=True)
class DiskIo:
    """Reads and writes on the sandbox's data volume."""

    read_bytes: int
    write_bytes: int
    reads: int
    writes: int


@dataclass(frozen=True)
class SandboxUsage:
    """Resources the sandbox consumes, read on the host (the guest cannot see them)."""

    cpu_ns: int
    memory_bytes: int
    memory_limit_bytes: int | None
    oom_kills: int | None
    pids: int
    network: dict[str, InterfaceBytes] = field(default_factory=dict)
    """By port role (`management`, `user`)."""
    disk: DiskIo | None = None
