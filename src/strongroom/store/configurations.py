"""Configuration groups and which instance uses which."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.store.database import utcnow
from strongroom.store.models import Configuration, Instance, InstanceConfiguration


def get(session: Session, configuration_id: str) -> Configuration | None:
    return session.get(Configuration, configuration_id)


def list_for(session: Session, project_id: str | None) -> Sequence[Configuration]:
    """A project's groups (every group when `project_id` is None), oldest first."""
    query = select(Configuration)
    if project_id is not None:
        query = query.where(Configuration.project_id == project_id)
    return session.scalars(query.order_by(Configuration.created_at, Configuration.id)).all()


def attached_instances(session: Session, configuration_id: str) -> Sequence[Instance]:
    """Live instances using the group."""
    query = (
        select(Instance)
        .join(InstanceConfiguration, InstanceConfiguration.instance_id == Instance.id)
        .where(
            InstanceConfiguration.configuration_id == configuration_id,
            Instance.deleted_at.is_(None),
        )
    )
    return session.scalars(query.order_by(Instance.created_at, Instance.id)).all()


def attachment(session: Session, instance_id: str) -> InstanceConfiguration | None:
    return session.get(InstanceConfiguration, instance_id)


def attach(session: Session, instance_id: str, configuration_id: str | None) -> None:
    """Make the instance use `configuration_id` (None: no group)."""
    row = attachment(session, instance_id)
    if configuration_id is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        session.add(
            InstanceConfiguration(
                instance_id=instance_id, configuration_id=configuration_id, updated_at=utcnow()
            )
        )
        return
    row.configuration_id = configuration_id
    row.updated_at = utcnow()


def overrides_of(session: Session, instance_id: str) -> dict[str, object]:
    """The values the instance's group sets (empty without a group)."""
    row = attachment(session, instance_id)
    group = get(session, row.configuration_id) if row is not None else None
    return dict(group.overrides) if group is not None else {}
