"""The instance aggregate: rows, status changes (each one an event), faults."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from strongroom.store.database import utcnow
from strongroom.store.models import Event, Instance


def get_live(session: Session, instance_id: str) -> Instance | None:
    row = session.get(Instance, instance_id)
    return row if row is not None and row.deleted_at is None else None


def list_live(
    session: Session, project_id: str | None, *, limit: int, marker: str | None
) -> Sequence[Instance]:
    """Live instances ordered by (created_at, id), after `marker` when given."""
    query = select(Instance).where(Instance.deleted_at.is_(None))
    if project_id is not None:
        query = query.where(Instance.project_id == project_id)
    if marker is not None:
        anchor = session.get(Instance, marker)
        if anchor is not None:
            query = query.where(
                (Instance.created_at > anchor.created_at)
                | ((Instance.created_at == anchor.created_at) & (Instance.id > anchor.id))
            )
    return session.scalars(query.order_by(Instance.created_at, Instance.id).limit(limit)).all()


def usage(session: Session, project_id: str) -> tuple[int, int]:
    """(live instance count, volume GiB in use) of a project."""
    count, gib = session.execute(
        select(func.count(Instance.id), func.coalesce(func.sum(Instance.volume_size), 0)).where(
            Instance.project_id == project_id, Instance.deleted_at.is_(None)
        )
    ).one()
    return int(count), int(gib)


def flavor_ids_in_use(session: Session, project_id: str) -> list[str]:
    return list(
        session.scalars(
            select(Instance.flavor_id).where(
                Instance.project_id == project_id, Instance.deleted_at.is_(None)
            )
        )
    )


def record_event(session: Session, instance: Instance, kind: str, message: str) -> None:
    session.add(
        Event(
            instance_id=instance.id,
            project_id=instance.project_id,
            kind=kind,
            message=message,
            created_at=utcnow(),
        )
    )


def set_status(
    session: Session, instance: Instance, status: str, message: str, *, operating: str | None = None
) -> None:
    """Change the status and say why, in the same transaction."""
    changed = instance.status != status
    instance.status = status
    if operating is not None:
        instance.operating_status = operating
    instance.updated_at = utcnow()
    if changed:
        record_event(session, instance, "status", f"{status}: {message}")


def set_fault(session: Session, instance: Instance, message: str, details: str | None) -> None:
    instance.fault_message = message
    instance.fault_details = details
    instance.fault_created_at = utcnow()


def clear_fault(instance: Instance) -> None:
    instance.fault_message = instance.fault_details = None
    instance.fault_created_at = None


def events_of(session: Session, instance_id: str) -> Sequence[Event]:
    return session.scalars(
        select(Event).where(Event.instance_id == instance_id).order_by(Event.id)
    ).all()
