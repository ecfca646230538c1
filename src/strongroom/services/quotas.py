"""Quota use cases (admin): show a project's limits and usage, and override its limits."""

from __future__ import annotations

import math
from dataclasses import dataclass

from strongroom.config import Settings
from strongroom.contracts.errors import BadRequest, Forbidden
from strongroom.identity.context import RequestContext
from strongroom.store import backups, catalog, instances, quotas
from strongroom.store.database import Database


@dataclass(frozen=True)
class QuotaView:
    resource: str
    in_use: int
    limit: int
    reserved: int = 0


class QuotaService:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db

    def show(self, ctx: RequestContext, project_id: str) -> list[QuotaView]:
        _require_admin(ctx)
        _check_project(project_id)
        with self.db.read() as s:
            limits = quotas.limits_for(s, project_id, self.settings.quotas)
            count, gib = instances.usage(s, project_id)
            ram = sum(
                f.ram
                for fid in instances.flavor_ids_in_use(s, project_id)
                if (f := catalog.find_flavor(s, fid)) is not None
            )
            backups_used = backups.count(s, project_id)
            backup_gib = math.ceil(backups.stored_bytes(s, project_id) / 1024**3)
        used = {
            "instances": count,
            "volumes": gib,
            "ram": ram,
            "backups": backups_used,
            "backup_gigabytes": backup_gib,
        }
        return [
            QuotaView(resource, used[resource], getattr(limits, field))
            for resource, field in quotas.RESOURCES.items()
        ]

    def update(self, ctx: RequestContext, project_id: str, values: dict[str, object]) -> None:
        """Override limits; -1 means unlimited. Unknown resources or bad values change nothing."""
        _require_admin(ctx)
        _check_project(project_id)
        if not values:
            raise BadRequest("Give at least one quota to change.")
        checked: dict[str, int] = {}
        for resource, value in values.items():
            if resource not in quotas.RESOURCES:
                known = ", ".join(quotas.RESOURCES)
                raise BadRequest(f"Unknown quota resource {resource!r} (known: {known}).")
            if isinstance(value, bool) or not isinstance(value, int) or value < -1:
                raise BadRequest(f"Quota {resource} must be an integer >= -1.")
            checked[resource] = value
        with self.db.write() as s:
            quotas.set_limits(s, project_id, checked)


def _require_admin(ctx: RequestContext) -> None:
    if not ctx.is_admin:
        raise Forbidden("Quotas are managed by administrators.")


def _check_project(project_id: str) -> None:
    if not project_id.strip() or len(project_id) > 64:
        raise BadRequest("Invalid project id.")
