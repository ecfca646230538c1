"""Databases and root of an instance: validate, write the intent into the mirror and a job in
one transaction; reads come from the mirror (`store.accounts`), never from the guest."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from strongroom.contracts.errors import BadRequest, Conflict, NotFound
from strongroom.datastores import load_catalog
from strongroom.datastores.catalog import NameRules
from strongroom.domain.instance_status import Status
from strongroom.identity.context import RequestContext
from strongroom.jobs import kinds
from strongroom.jobs.queue import JobQueue
from strongroom.services.requests import DatabaseRequest
from strongroom.services.scope import check_write, visible_instance
from strongroom.store import accounts
from strongroom.store.database import Database
from strongroom.store.models import Instance

# Statuses in which the engine runs and its accounts may change.
ACCOUNTS_MUTABLE = frozenset({Status.ACTIVE, Status.RESTART_REQUIRED})
ROOT_USER = "root"
GENERATED_PASSWORD_BYTES = 18  # 24 URL-safe characters


@dataclass(frozen=True)
class DatabaseView:
    name: str
    character_set: str | None
    collate: str | None


def writable_instance(session: Session, ctx: RequestContext, instance_id: str) -> Instance:
    """The caller's instance, whose engine runs and accepts account changes (409 otherwise)."""
    check_write(ctx)
    row = visible_instance(session, ctx, instance_id)
    if row.status not in ACCOUNTS_MUTABLE:
        raise Conflict(
            f"Instance {instance_id} is {row.status}; databases, users and root can change "
            "once it is ACTIVE."
        )
    return row


def name_rules(instance: Instance) -> NameRules:
    """The datastore's rules for database names, user names, hosts and passwords."""
    return next(d.names for d in load_catalog() if d.name == instance.datastore)


class AccountService:
    def __init__(self, db: Database, queue: JobQueue) -> None:
        self.db = db
        self.queue = queue

    def list_databases(self, ctx: RequestContext, instance_id: str) -> list[DatabaseView]:
        with self.db.read() as s:
            visible_instance(s, ctx, instance_id)
            return [
                DatabaseView(d.name, d.character_set, d.collate)
                for d in accounts.databases_of(s, instance_id)
            ]

    def create_databases(
        self, ctx: RequestContext, instance_id: str, databases: tuple[DatabaseRequest, ...]
    ) -> None:
        if not databases:
            raise BadRequest("Give at least one database to create.")
        with self.db.write() as s:
            row = writable_instance(s, ctx, instance_id)
            _check_new_databases(s, row, databases)
            for d in databases:
                accounts.add_database(s, row.id, d.name, d.character_set, d.collate)
            payload = {"databases": [vars(d) for d in databases]}
            self.queue.enqueue(s, kinds.CREATE_DATABASES, row.id, payload=payload)

    def delete_database(self, ctx: RequestContext, instance_id: str, name: str) -> None:
        with self.db.write() as s:
            row = writable_instance(s, ctx, instance_id)
            found = accounts.find_database(s, row.id, name)
            if found is None or found.state == accounts.DELETING:
                raise NotFound(f"Database {name} could not be found on instance {instance_id}.")
            if found.state != accounts.READY:
                raise Conflict(f"Database {name} is being created; delete it afterwards.")
            found.state = accounts.DELETING
            self.queue.enqueue(s, kinds.DELETE_DATABASE, row.id, payload={"name": name})

    def root_enabled(self, ctx: RequestContext, instance_id: str) -> bool:
        """Whether root has ever been enabled on the instance (Trove's meaning)."""
        with self.db.read() as s:
            visible_instance(s, ctx, instance_id)
            return accounts.root_of(s, instance_id) is not None

    def enable_root(self, ctx: RequestContext, instance_id: str, password: str | None) -> str:
        """Enable root over the network; returns its password (generated unless given), which
        is shown once and otherwise only travels sealed in the job."""
        with self.db.write() as s:
            row = writable_instance(s, ctx, instance_id)
            if password is not None:
                problem = name_rules(row).password_problem(ROOT_USER, password)
                if problem:
                    raise BadRequest(f"Invalid root password: {problem}.")
            chosen = password or secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
            first = accounts.root_of(s, row.id) is None
            accounts.set_root(s, row.id, enabled=True)
            self.queue.enqueue(
                s,
                kinds.ENABLE_ROOT,
                row.id,
                payload={"first": first},
                secrets={"root_password": chosen},
            )
            return chosen

    def disable_root(self, ctx: RequestContext, instance_id: str) -> None:
        with self.db.write() as s:
            row = writable_instance(s, ctx, instance_id)
            root = accounts.root_of(s, row.id)
            if root is None:
                raise NotFound(f"Root has never been enabled on instance {instance_id}.")
            accounts.set_root(s, row.id, enabled=False)
            self.queue.enqueue(s, kinds.DISABLE_ROOT, row.id, payload={})


def _check_new_databases(
    session: Session, instance: Instance, databases: tuple[DatabaseRequest, ...]
) -> None:
    rules = name_rules(instance)
    names = [d.name for d in databases]
    if len(set(names)) != len(names):
        raise BadRequest("A database name is given twice.")
    for d in databases:
        problem = rules.database_problem(d.name)
        if problem:
            raise BadRequest(f"Invalid database name {d.name!r}: {problem}.")
        for label, value in (("character_set", d.character_set), ("collate", d.collate)):
            if value is not None and not value.replace("_", "").isalnum():
                raise BadRequest(f"Invalid {label} {value!r} of database {d.name}.")
        existing = accounts.find_database(session, instance.id, d.name)
        if existing is not None:
            raise BadRequest(f"Database {d.name} already exists on instance {instance.id}.")
