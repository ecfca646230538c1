"""The backup aggregate: rows, chains (a full and its incrementals), statuses and faults."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from strongroom.store.database import utcnow
from strongroom.store.models import Backup

NEW, BUILDING, COMPLETED, FAILED = "NEW", "BUILDING", "COMPLETED", "FAILED"
DELETING, DELETE_FAILED = "DELETING", "DELETE_FAILED"
RUNNING = (NEW, BUILDING)
FULL, INCREMENTAL = "full", "incremental"

# A chain longer than this is refused: a restore would replay too many incrementals.
MAX_CHAIN_LENGTH = 64


def get(session: Session, backup_id: str) -> Backup | None:
    return session.get(Backup, backup_id)


def list_backups(
    session: Session,
    project_id: str | None,
    *,
    instance_id: str | None = None,
    datastore: str | None = None,
    limit: int = 1000,
) -> Sequence[Backup]:
    """Backups, newest first; `project_id` None means every project (admins)."""
    query = select(Backup)
    if project_id is not None:
        query = query.where(Backup.project_id == project_id)
    if instance_id is not None:
        query = query.where(Backup.instance_id == instance_id)
    if datastore is not None:
        query = query.where(Backup.datastore == datastore)
    order = (Backup.created_at.desc(), Backup.id.desc())
    return session.scalars(query.order_by(*order).limit(limit)).all()


def count(session: Session, project_id: str) -> int:
    """Backups a project holds (every status: each one owns or will own an object)."""
    found = session.scalar(select(func.count(Backup.id)).where(Backup.project_id == project_id))
    return int(found or 0)


def stored_bytes(session: Session, project_id: str) -> int:
    """Bytes a project's backup objects take in the store."""
    query = select(func.coalesce(func.sum(Backup.size_bytes), 0))
    return int(session.scalar(query.where(Backup.project_id == project_id)) or 0)


def lock_project(session: Session, project_id: str) -> None:
    """Serialize quota checks of one project until the transaction ends (PostgreSQL: an
    advisory lock; SQLite's write transactions are serialized already)."""
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"backups:{project_id}".encode())
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def latest_completed(session: Session, instance_id: str) -> Backup | None:
    """The instance's newest COMPLETED backup (the parent `incremental: 1` picks)."""
    query = (
        select(Backup)
        .where(Backup.instance_id == instance_id, Backup.status == COMPLETED)
        .order_by(Backup.created_at.desc(), Backup.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def running_for(session: Session, instance_id: str) -> Backup | None:
    query = select(Backup).where(Backup.instance_id == instance_id, Backup.status.in_(RUNNING))
    return session.scalars(query.limit(1)).first()


def children(session: Session, backup_id: str) -> Sequence[Backup]:
    return session.scalars(select(Backup).where(Backup.parent_id == backup_id)).all()


def chain(session: Session, backup: Backup) -> list[Backup]:
    """The backups a restore of `backup` needs, the full first; `LookupError` if a link is
    missing, not COMPLETED, or the chain loops or is too long."""
    links = [backup]
    while links[-1].parent_id is not None:
        parent = session.get(Backup, links[-1].parent_id)
        if parent is None or len(links) >= MAX_CHAIN_LENGTH or parent in links:
            raise LookupError(f"the chain of backup {backup.id} is broken")
        links.append(parent)
    if any(b.status != COMPLETED for b in links):
        raise LookupError(f"the chain of backup {backup.id} has a backup that is not COMPLETED")
    return list(reversed(links))


def set_status(backup: Backup, status: str) -> None:
    backup.status = status
    backup.updated_at = utcnow()


def set_fault(backup: Backup, status: str, message: str, details: str | None) -> None:
    backup.fault_message = message
    backup.fault_details = details
    set_status(backup, status)


def object_key(backup: Backup) -> str:
    """Where a backup's object lives: one per backup, named by project, instance and id."""
    return f"{backup.project_id}/{backup.instance_id}/{backup.id}.srbk"
