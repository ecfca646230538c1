"""Instance statuses as Trove clients know them, and which ones allow which requests."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    BUILD = "BUILD"
    ACTIVE = "ACTIVE"
    REBOOT = "REBOOT"
    RESIZE = "RESIZE"
    RESTART_REQUIRED = "RESTART_REQUIRED"
    SHUTDOWN = "SHUTDOWN"
    BACKUP = "BACKUP"
    ERROR = "ERROR"
    DELETING = "DELETING"  # shown to clients as SHUTDOWN, as Trove does


class OperatingStatus(StrEnum):
    NONE = ""
    HEALTHY = "HEALTHY"
    UNHEALTHY = "UNHEALTHY"
    ACTIVE = "ACTIVE"
    SHUTDOWN = "SHUTDOWN"
    BUILD = "BUILD"
    RESTARTING = "RESTARTING"
    ERROR = "ERROR"
    FAILED = "FAILED"


# Statuses in which a delete may be requested: anything not already being deleted.
DELETABLE = frozenset(set(Status) - {Status.DELETING})

# Statuses in which a change (name, access, resize, ...) may be requested.
MUTABLE = frozenset({Status.ACTIVE, Status.RESTART_REQUIRED, Status.SHUTDOWN})


def shown_status(status: str) -> str:
    """The status a client sees: DELETING is internal and shows as SHUTDOWN."""
    return Status.SHUTDOWN.value if status == Status.DELETING else status
