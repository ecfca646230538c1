"""What users may choose from: flavors, datastores and versions, and their limits."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.config import Settings
from strongroom.contracts.errors import NotFound
from strongroom.datastores import DatastoreDescription, DatastoreVersion, load_catalog
from strongroom.identity.context import RequestContext
from strongroom.store import backups, catalog, instances, quotas
from strongroom.store.database import Database
from strongroom.store.models import Flavor


@dataclass(frozen=True)
class AbsoluteLimits:
    max_instances: int
    max_volumes: int
    max_ram: int
    max_backups: int
    instances_used: int
    volumes_used: int
    ram_used: int
    backups_used: int


class CatalogService:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db

    def flavors(self) -> list[Flavor]:
        with self.db.read() as s:
            return list(catalog.list_flavors(s))

    def flavor(self, key: str) -> Flavor:
        with self.db.read() as s:
            found = catalog.find_flavor(s, key)
        if found is None:
            raise NotFound(f"Flavor {key} could not be found.")
        return found

    def datastores(self) -> tuple[DatastoreDescription, ...]:
        return load_catalog()

    def datastore(self, key: str) -> DatastoreDescription:
        found = next((d for d in load_catalog() if key in (d.id, d.name)), None)
        if found is None:
            raise NotFound(f"Datastore {key} could not be found.")
        return found

    def version(self, datastore: str, key: str) -> DatastoreVersion:
        found = self.datastore(datastore).version(key)
        if found is None:
            raise NotFound(f"Datastore version {key} could not be found.")
        return found

    def version_by_id(self, version_id: str) -> tuple[DatastoreDescription, DatastoreVersion]:
        for store in load_catalog():
            for v in store.versions:
                if v.id == version_id:
                    return store, v
        raise NotFound(f"Datastore version {version_id} could not be found.")

    def limits(self, ctx: RequestContext) -> AbsoluteLimits:
        with self.db.read() as s:
            q = quotas.limits_for(s, ctx.project_id, self.settings.quotas)
            count, gib = instances.usage(s, ctx.project_id)
            backups_used = backups.count(s, ctx.project_id)
            ram = sum(
                f.ram
                for fid in instances.flavor_ids_in_use(s, ctx.project_id)
                if (f := catalog.find_flavor(s, fid)) is not None
            )
        return AbsoluteLimits(
            max_instances=q.max_instances,
            max_volumes=q.max_volumes,
            max_ram=q.max_ram,
            max_backups=q.max_backups,
            instances_used=count,
            volumes_used=gib,
            ram_used=ram,
            backups_used=backups_used,
        )
