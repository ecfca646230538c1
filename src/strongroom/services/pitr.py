"""Restores from archived WAL (Strongroom extension): a point in time after a backup
(`restorePoint.restore_time`), and incrementals that are a point in the WAL (datastores whose
description has the `incremental_backup_wal` capability).

A point in time is valid after the referenced backup ended (its completion) and not after
the instance's latest restorable time: the last transaction end in its archived WAL (a
recovery stops at the first commit after its target, so it needs one)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from strongroom.contracts.errors import BadRequest, Conflict
from strongroom.datastores import load_catalog
from strongroom.store import backups, wal

WAL_ARCHIVING = "wal_archiving"
INCREMENTAL_IS_WAL_POINT = "incremental_backup_wal"


def has_capability(datastore: str, capability: str) -> bool:
    return any(d.name == datastore and capability in d.capabilities for d in load_catalog())


def check_restore_point(
    s: Session, chain_ids: tuple[str, ...], datastore: str, restore_time: datetime | None
) -> None:
    """400 for a restore time outside the restorable range (naming it), or on a datastore
    without WAL archiving; 409 while the WAL a WAL-point incremental needs is not archived."""
    referenced = backups.get(s, chain_ids[-1])
    if referenced is None:
        return
    latest = wal.latest_end(s, referenced.instance_id)
    if restore_time is not None:
        if not has_capability(datastore, WAL_ARCHIVING):
            raise BadRequest(
                f"restore_time needs a datastore that archives its WAL, not {datastore}."
            )
        earliest = referenced.updated_at
        if latest is None or not earliest < restore_time <= latest:
            shown = "none yet" if latest is None else f"{_iso(earliest)} to {_iso(latest)}"
            raise BadRequest(
                f"restore_time {_iso(restore_time)} is outside the restorable range of backup "
                f"{referenced.id}: {shown}."
            )
        return
    wal_point = referenced.kind == backups.INCREMENTAL and has_capability(
        datastore, INCREMENTAL_IS_WAL_POINT
    )
    if wal_point and (latest is None or latest <= referenced.created_at):
        raise Conflict(f"The WAL up to backup {referenced.id} is not archived yet; retry shortly.")


def parse_time(value: object) -> datetime:
    """An ISO-8601 time as naive UTC (the control DB's convention); 400 otherwise."""
    if not isinstance(value, str):
        raise BadRequest("restorePoint.restore_time must be an ISO-8601 time.")
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"restorePoint.restore_time {value!r} is not an ISO-8601 time.") from None
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at


def _iso(at: datetime) -> str:
    return at.isoformat() + "Z"
