"""Which changes between two samples of an instance deserve an event a user can read."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.domain.metric_series import Values

GIB = 1024**3
MIB = 1024**2


@dataclass(frozen=True)
class Noteworthy:
    kind: str  # "oom kill" | "low storage"
    message: str


def noteworthy(previous: Values | None, current: Values, low_ratio: float) -> list[Noteworthy]:
    """Events for the step from `previous` to `current`: more OOM kills, or the volume
    getting fuller than `low_ratio` (once per crossing, not at every sample above it)."""
    found = []
    killed = _oom_increase(previous, current)
    if killed > 0:
        limit = current.get("memory_limit_bytes")
        within = f" (memory limit {limit / MIB:.0f} MiB)" if limit else ""
        found.append(
            Noteworthy("oom kill", f"{killed:.0f} process(es) killed for lack of memory{within}")
        )
    ratio = _fullness(current)
    before = _fullness(previous) if previous is not None else None
    if ratio is not None and ratio > low_ratio and (before is None or before <= low_ratio):
        used, total = current["volume_used_bytes"], current["volume_total_bytes"]
        found.append(
            Noteworthy(
                "low storage",
                f"data volume {ratio:.0%} full ({used / GIB:.2f} of {total / GIB:.2f} GiB used)",
            )
        )
    return found


def _oom_increase(previous: Values | None, current: Values) -> float:
    now = current.get("oom_kills_total")
    if now is None:
        return 0.0
    before = previous.get("oom_kills_total") if previous is not None else None
    if before is None:
        return 0.0  # no baseline: the first sample of an instance has seen no kill yet
    return now - before if now >= before else now


def _fullness(values: Values) -> float | None:
    used, total = values.get("volume_used_bytes"), values.get("volume_total_bytes")
    if used is None or not total:
        return None
    return used / total
