"""What an agent's answer means for an instance's operating status, in words for its events."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.domain.instance_status import OperatingStatus


@dataclass(frozen=True)
class HealthVerdict:
    operating_status: str
    reason: str


def judge(reachable: bool, engine_state: str, message: str = "") -> HealthVerdict:
    """HEALTHY only when the agent answers and the engine runs; otherwise say why not."""
    if not reachable:
        detail = f" ({message})" if message else ""
        return HealthVerdict(OperatingStatus.UNHEALTHY, f"the guest agent does not answer{detail}")
    if engine_state == "running":
        return HealthVerdict(OperatingStatus.HEALTHY, "the database engine is running")
    if engine_state == "stopped":
        return HealthVerdict(OperatingStatus.SHUTDOWN, "the database engine is stopped")
    if engine_state == "starting":
        return HealthVerdict(OperatingStatus.RESTARTING, "the database engine is starting")
    return HealthVerdict(OperatingStatus.UNHEALTHY, "the database engine is down")
