"""Configuration groups: values checked against the datastore's parameter rules, attached to
instances; every change that reaches an engine is a job (`apply_configuration`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from strongroom.contracts.errors import BadRequest, Conflict, NotFound
from strongroom.datastores import DatastoreDescription, DatastoreVersion, load_catalog
from strongroom.datastores.catalog import ParameterRule
from strongroom.identity.context import RequestContext
from strongroom.jobs import kinds
from strongroom.jobs.queue import JobQueue
from strongroom.services.accounts import writable_instance
from strongroom.services.scope import check_write, visible_instance
from strongroom.store import configurations, instances
from strongroom.store.database import Database, utcnow
from strongroom.store.models import Configuration


@dataclass(frozen=True)
class ConfigurationView:
    id: str
    name: str
    description: str
    datastore: str
    datastore_version: str
    datastore_version_id: str
    values: dict[str, Any]
    created: datetime
    updated: datetime
    instance_count: int


@dataclass(frozen=True)
class NewConfiguration:
    name: str | None
    values: dict[str, Any]
    description: str | None = None
    datastore: str | None = None
    datastore_version: str | None = None


def find_datastore(
    name: str | None, version: str | None
) -> tuple[DatastoreDescription, DatastoreVersion]:
    """A datastore (by name or id; the only one when None) and its version (default: the
    datastore's default); 404 for unknown ones."""
    stores = load_catalog()
    if name is None and len(stores) != 1:
        raise BadRequest("A datastore type is required.")
    store = stores[0] if name is None else next((d for d in stores if name in (d.name, d.id)), None)
    if store is None:
        raise NotFound(f"Datastore {name} could not be found.")
    chosen = store.version(version or store.default_version)
    if chosen is None:
        raise NotFound(f"Datastore version {version} of {store.name} could not be found.")
    return store, chosen


def find_version_by_id(version_id: str) -> tuple[DatastoreDescription, DatastoreVersion]:
    for store in load_catalog():
        found = next((v for v in store.versions if v.id == version_id), None)
        if found is not None:
            return store, found
    raise NotFound(f"Datastore version {version_id} could not be found.")


def check_values(store: DatastoreDescription, values: dict[str, Any]) -> dict[str, Any]:
    try:
        return dict(store.check_values(values))
    except ValueError as exc:
        raise BadRequest(f"Invalid configuration value: {exc}.") from None


class ConfigurationService:
    def __init__(self, db: Database, queue: JobQueue) -> None:
        self.db = db
        self.queue = queue

    def create(self, ctx: RequestContext, new: NewConfiguration) -> ConfigurationView:
        check_write(ctx)
        if not new.name or not new.name.strip() or len(new.name) > 255:
            raise BadRequest("A configuration needs a name of 1 to 255 characters.")
        store, version = find_datastore(new.datastore, new.datastore_version)
        values = check_values(store, new.values)
        now = utcnow()
        with self.db.write() as s:
            row = Configuration(
                id=str(uuid.uuid4()),
                project_id=ctx.project_id,
                name=new.name,
                description=new.description or "",
                datastore=store.name,
                datastore_version=version.name,
                overrides=values,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            return _view(s, row)

    def page(self, ctx: RequestContext) -> list[ConfigurationView]:
        with self.db.read() as s:
            return [_view(s, row) for row in configurations.list_for(s, ctx.project_id)]

    def get(self, ctx: RequestContext, configuration_id: str) -> ConfigurationView:
        with self.db.read() as s:
            return _view(s, _visible(s, ctx, configuration_id))

    def update(
        self,
        ctx: RequestContext,
        configuration_id: str,
        new: NewConfiguration,
        *,
        merge: bool,
    ) -> None:
        """PUT replaces the values (and name, description when given); PATCH merges them.
        Instances using the group get the new values through a job each."""
        check_write(ctx)
        with self.db.write() as s:
            row = _visible(s, ctx, configuration_id)
            store, _ = find_datastore(row.datastore, row.datastore_version)
            values = check_values(store, new.values)
            row.overrides = {**row.overrides, **values} if merge else values
            if new.name is not None and not merge:
                row.name = new.name
            if new.description is not None:
                row.description = new.description
            row.updated_at = utcnow()
            for instance in configurations.attached_instances(s, row.id):
                instances.record_event(s, instance, "configuration", f"{row.name} changed")
                payload = {"previous": row.id}
                self.queue.enqueue(s, kinds.APPLY_CONFIGURATION, instance.id, payload=payload)

    def delete(self, ctx: RequestContext, configuration_id: str) -> None:
        check_write(ctx)
        with self.db.write() as s:
            row = _visible(s, ctx, configuration_id)
            if configurations.attached_instances(s, row.id):
                raise Conflict(
                    f"Configuration {configuration_id} is attached to instances; detach it first."
                )
            s.delete(row)

    def instances_of(self, ctx: RequestContext, configuration_id: str) -> list[tuple[str, str]]:
        """(id, name) of the instances using the group."""
        with self.db.read() as s:
            row = _visible(s, ctx, configuration_id)
            return [(i.id, i.name) for i in configurations.attached_instances(s, row.id)]

    def attach(self, ctx: RequestContext, instance_id: str, configuration_id: str | None) -> None:
        """Use a group on an instance (None detaches); the job applies it to the engine."""
        with self.db.write() as s:
            instance = writable_instance(s, ctx, instance_id)
            current = configurations.attachment(s, instance.id)
            previous = current.configuration_id if current is not None else None
            if configuration_id is None:
                if previous is None:
                    raise BadRequest(f"Instance {instance_id} has no configuration to detach.")
                message = "configuration detached"
            else:
                group = attachable(
                    s, ctx, configuration_id, instance.datastore, instance.datastore_version
                )
                assert group is not None
                message = f"configuration {group.name} attached"
            configurations.attach(s, instance.id, configuration_id)
            instances.record_event(s, instance, "configuration", message)
            payload = {"previous": previous}
            self.queue.enqueue(s, kinds.APPLY_CONFIGURATION, instance.id, payload=payload)

    def of_instance(self, ctx: RequestContext, instance_id: str) -> tuple[str, str] | None:
        """(id, name) of the group the instance uses, if any."""
        with self.db.read() as s:
            visible_instance(s, ctx, instance_id)
            row = configurations.attachment(s, instance_id)
            group = configurations.get(s, row.configuration_id) if row is not None else None
            return (group.id, group.name) if group is not None else None

    def effective(self, ctx: RequestContext, instance_id: str) -> dict[str, Any]:
        """The values the instance's group sets (the engine's defaults apply to the rest)."""
        with self.db.read() as s:
            visible_instance(s, ctx, instance_id)
            return configurations.overrides_of(s, instance_id)


def parameters(store: DatastoreDescription) -> list[ParameterRule]:
    return list(store.parameters)


def parameter(store: DatastoreDescription, name: str) -> ParameterRule:
    rule = store.parameter(name)
    if rule is None:
        raise NotFound(f"Parameter {name} of {store.name} could not be found.")
    return rule


def attachable(
    session: Session,
    ctx: RequestContext,
    configuration_id: str | None,
    datastore: str,
    version: str,
) -> Configuration | None:
    """The caller's group for an instance of `datastore` `version` (None when not given)."""
    if configuration_id is None:
        return None
    group = _visible(session, ctx, configuration_id)
    if (group.datastore, group.datastore_version) != (datastore, version):
        raise BadRequest(
            f"Configuration {group.id} is for {group.datastore} {group.datastore_version}, "
            f"not {datastore} {version}."
        )
    return group


def _visible(session: Session, ctx: RequestContext, configuration_id: str) -> Configuration:
    row = configurations.get(session, configuration_id)
    if row is None or (row.project_id != ctx.project_id and not ctx.is_admin):
        raise NotFound(f"Configuration {configuration_id} could not be found.")
    return row


def _view(session: Session, row: Configuration) -> ConfigurationView:
    _, version = find_datastore(row.datastore, row.datastore_version)
    return ConfigurationView(
        id=row.id,
        name=row.name,
        description=row.description,
        datastore=row.datastore,
        datastore_version=row.datastore_version,
        datastore_version_id=version.id,
        values=dict(row.overrides),
        created=row.created_at,
        updated=row.updated_at,
        instance_count=len(configurations.attached_instances(session, row.id)),
    )
