"""Quota limits per project: the config's defaults, overridden per project by operators."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.config.settings import QuotaSettings
from strongroom.store.models import QuotaLimit

# Trove's resource names -> the config's fields.
RESOURCES = {
    "instances": "max_instances",
    "volumes": "max_volumes",
    "ram": "max_ram",
    "backups": "max_backups",
    "backup_gigabytes": "max_backup_gigabytes",
}


def limits_for(session: Session, project_id: str, defaults: QuotaSettings) -> QuotaSettings:
    rows = session.scalars(select(QuotaLimit).where(QuotaLimit.project_id == project_id))
    overrides = {RESOURCES[r.resource]: r.hard_limit for r in rows if r.resource in RESOURCES}
    return defaults.model_copy(update=overrides)


def set_limits(session: Session, project_id: str, limits: dict[str, int]) -> None:
    for resource, value in limits.items():
        row = session.get(QuotaLimit, (project_id, resource))
        if row is None:
            session.add(QuotaLimit(project_id=project_id, resource=resource, hard_limit=value))
        else:
            row.hard_limit = value
