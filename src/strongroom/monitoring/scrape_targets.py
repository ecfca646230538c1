"""Prometheus HTTP service discovery of instances (admins only).

A target is the API itself: `/metrics/instances/{id}` serves one instance's latest sample.
Agents answer only the control plane over mutual TLS, so Prometheus never scrapes them; it
scrapes what the collector already pulled. See the README's "Prometheus" section.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from strongroom.contracts.errors import Forbidden
from strongroom.identity.context import RequestContext
from strongroom.monitoring.instance_exposition import instance_exposition
from strongroom.store.database import Database
from strongroom.store.models import Instance

INSTANCE_METRICS_PATH = "/metrics/instances/{instance_id}"


@dataclass(frozen=True)
class ScrapeTarget:
    instance_id: str
    project_id: str
    datastore: str

    @property
    def metrics_path(self) -> str:
        return INSTANCE_METRICS_PATH.format(instance_id=self.instance_id)


class ScrapeTargetService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def targets(self, ctx: RequestContext) -> list[ScrapeTarget]:
        """Every live instance of every project, oldest first."""
        if not ctx.is_admin:
            raise Forbidden("the mgmt API is for administrators")
        with self.db.read() as s:
            rows = s.execute(
                select(Instance.id, Instance.project_id, Instance.datastore)
                .where(Instance.deleted_at.is_(None))
                .order_by(Instance.created_at, Instance.id)
            ).all()
        return [ScrapeTarget(r.id, r.project_id, r.datastore) for r in rows]

    def exposition(self, instance_id: str) -> bytes:
        """What a target serves: the instance's latest sample (`NotFound` once deleted)."""
        return instance_exposition(self.db, instance_id)


def http_sd_groups(targets: list[ScrapeTarget], base_url: str) -> list[dict[str, Any]]:
    """Prometheus `http_sd_configs` target groups: one per instance (each has its own
    metrics path), scraped at `base_url` (where Prometheus reaches the API, path prefix
    included)."""
    base = urlsplit(base_url)
    prefix = base.path.rstrip("/")
    return [
        {
            "targets": [base.netloc],
            "labels": {
                "__metrics_path__": prefix + t.metrics_path,
                "__scheme__": base.scheme,
                "instance_id": t.instance_id,
                "project_id": t.project_id,
                "datastore": t.datastore,
            },
        }
        for t in targets
    ]
