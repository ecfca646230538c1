"""Archived WAL files of instances: one row per stored file, kept while the instance lives or
any of its backups exists (a point-in-time restore from a deleted instance's backup needs
them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from strongroom.store import backups
from strongroom.store.database import utcnow
from strongroom.store.models import Backup, Instance, WalSegment


def object_key(instance_id: str, name: str) -> str:
    """Where an archived WAL file lives in the backup store."""
    return f"wal/{instance_id}/{name}"


def get(session: Session, instance_id: str, name: str) -> WalSegment | None:
    return session.get(WalSegment, (instance_id, name))


def record(
    session: Session,
    instance_id: str,
    name: str,
    *,
    size_bytes: int,
    stored_bytes: int,
    checksum: str,
    location: str,
    key_id: str,
    ended_at: datetime | None,
) -> WalSegment:
    """Insert or replace the row of a stored file (storing it again is harmless)."""
    row = get(session, instance_id, name)
    if row is None:
        row = WalSegment(instance_id=instance_id, name=name)
        session.add(row)
    row.size_bytes, row.stored_bytes, row.checksum = size_bytes, stored_bytes, checksum
    row.location, row.key_id, row.ended_at = location, key_id, ended_at
    row.archived_at = utcnow()
    return row


def names(session: Session, instance_id: str) -> set[str]:
    found = session.scalars(select(WalSegment.name).where(WalSegment.instance_id == instance_id))
    return set(found)


def segments(session: Session, instance_id: str) -> Sequence[WalSegment]:
    """The instance's archived files in WAL order (their names sort so per timeline)."""
    query = select(WalSegment).where(WalSegment.instance_id == instance_id)
    return session.scalars(query.order_by(WalSegment.name)).all()


def latest_end(session: Session, instance_id: str) -> datetime | None:
    """The time of the newest archived change: the last stored file's end."""
    return session.scalar(
        select(func.max(WalSegment.ended_at)).where(WalSegment.instance_id == instance_id)
    )


def orphaned_instances(session: Session) -> list[str]:
    """Instances no longer live that still have archived WAL but no backup left."""
    live = select(Instance.id).where(Instance.deleted_at.is_(None))
    backed_up = select(Backup.instance_id).distinct()
    query = (
        select(WalSegment.instance_id)
        .distinct()
        .where(WalSegment.instance_id.not_in(live), WalSegment.instance_id.not_in(backed_up))
    )
    return list(session.scalars(query))


def drop(session: Session, instance_id: str, name: str) -> None:
    row = get(session, instance_id, name)
    if row is not None:
        session.delete(row)


def latest_ends(session: Session, instance_ids: list[str]) -> dict[str, datetime]:
    """`latest_end` of many instances in one query (those with none are left out)."""
    if not instance_ids:
        return {}
    rows = session.execute(
        select(WalSegment.instance_id, func.max(WalSegment.ended_at))
        .where(WalSegment.instance_id.in_(instance_ids))
        .group_by(WalSegment.instance_id)
    ).all()
    return {instance_id: end for instance_id, end in rows if end is not None}


def unneeded(session: Session, without_backup_before: datetime) -> list[WalSegment]:
    """Files of live instances that no restore can use: stored before the instance's oldest
    backup was requested (a restore replays only files stored since its full was requested),
    or, for an instance without a backup, before `without_backup_before`. Timeline history
    files are kept."""
    live = select(Instance.id).where(Instance.deleted_at.is_(None))
    found: list[WalSegment] = []
    for instance_id in session.scalars(
        select(WalSegment.instance_id).distinct().where(WalSegment.instance_id.in_(live))
    ):
        oldest = session.scalar(
            select(func.min(Backup.created_at)).where(
                Backup.instance_id == instance_id, Backup.status != backups.FAILED
            )
        )
        cutoff = oldest or without_backup_before
        found += session.scalars(
            select(WalSegment).where(
                WalSegment.instance_id == instance_id,
                WalSegment.archived_at < cutoff,
                WalSegment.name.not_like("%.history"),
            )
        ).all()
    return found
