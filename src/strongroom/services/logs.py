"""An instance's engine logs (Trove's guest logs): listed from the datastore description and
the mirror of their switches; switching is a job. Publishing needs the backup object store."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.contracts.errors import BadRequest, NotFound
from strongroom.datastores import load_catalog
from strongroom.datastores.catalog import LogRule
from strongroom.identity.context import RequestContext
from strongroom.jobs import kinds
from strongroom.jobs.queue import JobQueue
from strongroom.services.accounts import writable_instance
from strongroom.services.scope import visible_instance
from strongroom.store import accounts, instances
from strongroom.store.database import Database
from strongroom.store.models import Instance

SWITCHES = ("enable", "disable")
NEEDS_OBJECT_STORE = ("publish", "discard")


@dataclass(frozen=True)
class LogView:
    name: str
    type: str
    enabled: bool


class LogService:
    def __init__(self, db: Database, queue: JobQueue) -> None:
        self.db = db
        self.queue = queue

    def list_logs(self, ctx: RequestContext, instance_id: str) -> list[LogView]:
        with self.db.read() as s:
            instance = visible_instance(s, ctx, instance_id)
            switched = accounts.log_switches(s, instance.id)
            return [_view(rule, switched) for rule in _rules(instance)]

    def act(self, ctx: RequestContext, instance_id: str, name: str, action: str | None) -> LogView:
        """Show a log (no action), or switch a USER log on or off."""
        if action in NEEDS_OBJECT_STORE:
            raise BadRequest(
                f"Cannot {action} logs yet: publishing needs the backup object store, "
                "which this deployment does not have yet."
            )
        if action is None:
            found = next((v for v in self.list_logs(ctx, instance_id) if v.name == name), None)
            if found is None:
                raise NotFound(f"Log {name} could not be found on instance {instance_id}.")
            return found
        return self._switch(ctx, instance_id, name, action == "enable")

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
