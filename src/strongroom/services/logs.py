"""An instance's engine logs (Trove's guest logs): listed from the datastore description and
the mirror of their switches; switching, publishing into the backup object store and
discarding the published copy are jobs. The published copy is read back from the store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from strongroom.backups.published_logs import PublishedLog, PublishedState
from strongroom.contracts.errors import BadRequest, NotFound
from strongroom.datastores import load_catalog
from strongroom.datastores.catalog import LogRule
from strongroom.drivers.objectstore.base import ObjectStore
from strongroom.identity.context import RequestContext
from strongroom.jobs import kinds
from strongroom.jobs.queue import JobQueue
from strongroom.services.accounts import writable_instance
from strongroom.services.scope import visible_instance
from strongroom.store import accounts, instances
from strongroom.store.database import Database
from strongroom.store.models import Instance

SWITCHES = ("enable", "disable")
STORE_JOBS = {"publish": kinds.PUBLISH_LOG, "discard": kinds.DISCARD_LOG}


@dataclass(frozen=True)
class LogView:
    name: str
    type: str
    enabled: bool
    published: PublishedState = field(default_factory=PublishedState)
    prefix: str = ""
    metafile: str = ""


class LogService:
    def __init__(self, db: Database, queue: JobQueue, store: ObjectStore) -> None:
        self.db = db
        self.queue = queue
        self.store = store

    def list_logs(self, ctx: RequestContext, instance_id: str) -> list[LogView]:
        with self.db.read() as s:
            instance = visible_instance(s, ctx, instance_id)
            switched = accounts.log_switches(s, instance.id)
            rules = _rules(instance)
        return [self._view(instance_id, rule, switched) for rule in rules]

    def act(self, ctx: RequestContext, instance_id: str, name: str, action: str | None) -> LogView:
        """Show a log (no action), switch a USER log on or off, publish its new bytes into
        the object store, or discard the published copy."""
        if action in STORE_JOBS:
            return self._store_job(ctx, instance_id, name, action)
        if action is None:
            return self._find(ctx, instance_id, name)
        return self._switch(ctx, instance_id, name, action == "enable")

    def published_content(
        self, ctx: RequestContext, instance_id: str, name: str
    ) -> Iterator[bytes]:
        """The published copy of a log (empty until it is published)."""
        self._find(ctx, instance_id, name)
        return PublishedLog(self.store, instance_id, name).read()

    def _find(self, ctx: RequestContext, instance_id: str, name: str) -> LogView:
        found = next((v for v in self.list_logs(ctx, instance_id) if v.name == name), None)
        if found is None:
            raise NotFound(f"Log {name} could not be found on instance {instance_id}.")
        return found

    def _store_job(self, ctx: RequestContext, instance_id: str, name: str, action: str) -> LogView:
        with self.db.write() as s:
            instance = writable_instance(s, ctx, instance_id)
            rule = next((r for r in _rules(instance) if r.name == name), None)
            if rule is None:
                raise NotFound(f"Log {name} could not be found on instance {instance_id}.")
            switched = accounts.log_switches(s, instance.id)
            if action == "publish" and not _view(rule, switched).enabled:
                raise BadRequest(f"Log {name} is disabled: enable it before publishing it.")
            instances.record_event(s, instance, "logs", f"log {name} {action} requested")
            payload = {"name": name, "action": action}
            self.queue.enqueue(s, STORE_JOBS[action], instance.id, payload=payload)
        return self._view(instance_id, rule, switched)

    def _view(self, instance_id: str, rule: LogRule, switched: dict[str, bool]) -> LogView:
        published = PublishedLog(self.store, instance_id, rule.name)
        base = _view(rule, switched)
        return LogView(
            base.name,
            base.type,
            base.enabled,
            published.state(),
            published.prefix,
            published.metafile,
        )

    def _switch(self, ctx: RequestContext, instance_id: str, name: str, on: bool) -> LogView:
        with self.db.write() as s:
            instance = writable_instance(s, ctx, instance_id)
            rule = next((r for r in _rules(instance) if r.name == name), None)
            if rule is None:
                raise NotFound(f"Log {name} could not be found on instance {instance_id}.")
            if rule.type != "USER":
                raise BadRequest(f"Log {name} is a SYS log: it is always enabled.")
            previous = accounts.log_switches(s, instance.id).get(name, False)
            accounts.set_log_switch(s, instance.id, name, on)
            instances.record_event(
                s, instance, "logs", f"log {name} {'enable' if on else 'disable'} requested"
            )
            payload = {"name": name, "enabled": on, "previous": previous}
            self.queue.enqueue(s, kinds.SWITCH_LOG, instance.id, payload=payload)
            return LogView(name, rule.type, on)


def _rules(instance: Instance) -> tuple[LogRule, ...]:
    return next(d.logs for d in load_catalog() if d.name == instance.datastore)


def _view(rule: LogRule, switched: dict[str, bool]) -> LogView:
    return LogView(rule.name, rule.type, rule.type == "SYS" or switched.get(rule.name, False))
