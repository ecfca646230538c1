"""Users of an instance and their grants: validated, mirrored, and handed to a job. Passwords
go only into the job's sealed secrets, never into the mirror, payloads or events."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from strongroom.contracts.errors import BadRequest, Conflict, NotFound
from strongroom.datastores.catalog import NameRules
from strongroom.identity.context import RequestContext
from strongroom.jobs import kinds
from strongroom.jobs.queue import JobQueue
from strongroom.services.accounts import name_rules, writable_instance
from strongroom.services.requests import UserRequest
from strongroom.services.scope import visible_instance
from strongroom.store import accounts
from strongroom.store.database import Database
from strongroom.store.models import Instance, InstanceUser

DEFAULT_HOST = "%"


@dataclass(frozen=True)
class UserView:
    name: str
    host: str
    databases: tuple[str, ...]


@dataclass(frozen=True)
class UserChange:
    """`PUT .../users/{name}`: what to change; None keeps it."""

    name: str | None = None
    host: str | None = None
    password: str | None = field(default=None, repr=False)


def account(name: str, host: str) -> str:
    return f"{name}@{host}"


class UserService:
    def __init__(self, db: Database, queue: JobQueue) -> None:
        self.db = db
        self.queue = queue

    def list_users(self, ctx: RequestContext, instance_id: str) -> list[UserView]:
        with self.db.read() as s:
            visible_instance(s, ctx, instance_id)
            return [_view(u) for u in accounts.users_of(s, instance_id)]

    def get_user(self, ctx: RequestContext, instance_id: str, name: str, host: str) -> UserView:
        with self.db.read() as s:
            visible_instance(s, ctx, instance_id)
            return _view(_existing(s, instance_id, name, host))

    def create_users(
        self, ctx: RequestContext, instance_id: str, users: tuple[UserRequest, ...]
    ) -> None:
        if not users:
            raise BadRequest("Give at least one user to create.")
        with self.db.write() as s:
            row = writable_instance(s, ctx, instance_id)
            _check_new_users(s, row, users)
            for u in users:
                accounts.add_user(s, row.id, u.name, u.host or DEFAULT_HOST, u.databases)
            payload = {
                "users": [
                    {"name": u.name, "host": u.host or DEFAULT_HOST, "databases": list(u.databases)}
                    for u in users
                ]
            }
            passwords = {account(u.name, u.host or DEFAULT_HOST): u.password for u in users}
            self.queue.enqueue(
                s, kinds.CREATE_USERS, row.id, payload, secrets={"passwords": passwords}
            )

    def update_user(
        self, ctx: RequestContext, instance_id: str, name: str, host: str, change: UserChange
    ) -> None:
        if change.name is None and change.host is None and change.password is None:
            raise BadRequest("Nothing to update: give `name`, `host` or `password`.")
        with self.db.write() as s:
            row = writable_instance(s, ctx, instance_id)
            user = _ready(s, instance_id, name, host)
            new_name, new_host = change.name or name, change.host or host
            _check_change(s, row, name, host, change)
            payload = {"name": name, "host": host, "new_name": new_name, "new_host": new_host}
            secrets = {"password": change.password} if change.password is not None else None
            user.name, user.host, user.state = new_name, new_host, accounts.UPDATING
            self.queue.enqueue(s, kinds.UPDATE_USER, row.id, payload, secrets=secrets)

    def change_passwords(
        self, ctx: RequestContext, instance_id: str, users: tuple[UserRequest, ...]
    ) -> None:
        """Trove's bulk password change (`PUT .../users`)."""
        if not users:
            raise BadRequest("Give at least one user whose password changes.")
        with self.db.write() as s:
            row = writable_instance(s, ctx, instance_id)
            rules = name_rules(row)
            for u in users:
                _ready(s, instance_id, u.name, u.host or DEFAULT_HOST)
                _check_password(rules, u.name, u.password)
            named = [{"name": u.name, "host": u.host or DEFAULT_HOST} for u in users]
            passwords = {account(u.name, u.host or DEFAULT_HOST): u.password for u in users}
            self.queue.enqueue(
                s,
                kinds.CHANGE_PASSWORDS,
                row.id,
                payload={"users": named},
                secrets={"passwords": passwords},
            )

    def delete_user(self, ctx: RequestContext, instance_id: str, name: str, host: str) -> None:
        with self.db.write() as s:
            row = writable_instance(s, ctx, instance_id)
            user = _ready(s, instance_id, name, host)
            user.state = accounts.DELETING
            payload = {"name": name, "host": host}
            self.queue.enqueue(s, kinds.DELETE_USER, row.id, payload=payload)

    def grant(
        self,
        ctx: RequestContext,
        instance_id: str,
        name: str,
        host: str,
        databases: tuple[str, ...],
    ) -> None:
        if not databases:
            raise BadRequest("Give at least one database to grant access to.")
        with self.db.write() as s:
            row = writable_instance(s, ctx, instance_id)
            user = _ready(s, instance_id, name, host)
            _require_databases(s, row.id, databases)
            payload = {
                "name": name,
                "host": host,
                "databases": sorted(set(databases)),
                "previous": list(user.databases),
            }
            user.databases = sorted(set(user.databases) | set(databases))
            user.state = accounts.UPDATING
            self.queue.enqueue(s, kinds.GRANT_ACCESS, row.id, payload=payload)

    def revoke(
        self, ctx: RequestContext, instance_id: str, name: str, host: str, database: str
    ) -> None:
        with self.db.write() as s:
            row = writable_instance(s, ctx, instance_id)
            user = _ready(s, instance_id, name, host)
            if database not in user.databases:
                raise NotFound(f"User {name} has no access to database {database}.")
            payload = {
                "name": name,
                "host": host,
                "database": database,
                "previous": list(user.databases),
            }
            user.databases = [d for d in user.databases if d != database]
            user.state = accounts.UPDATING
            self.queue.enqueue(s, kinds.REVOKE_ACCESS, row.id, payload=payload)


def _view(user: InstanceUser) -> UserView:
    return UserView(user.name, user.host, tuple(user.databases))


def _existing(session: Session, instance_id: str, name: str, host: str) -> InstanceUser:
    user = accounts.find_user(session, instance_id, name, host)
    if user is None or user.state == accounts.DELETING:
        raise NotFound(f"User {account(name, host)} could not be found on instance {instance_id}.")
    return user


def _ready(session: Session, instance_id: str, name: str, host: str) -> InstanceUser:
    """The user, which no other change is under way for (409 otherwise)."""
    user = _existing(session, instance_id, name, host)
    if user.state != accounts.READY:
        raise Conflict(f"User {account(name, host)} is being changed; try again shortly.")
    return user


def _require_databases(session: Session, instance_id: str, names: tuple[str, ...]) -> None:
    known = {d.name for d in accounts.databases_of(session, instance_id)}
    for name in names:
        if name not in known:
            raise NotFound(f"Database {name} could not be found on instance {instance_id}.")


def _check_password(rules: NameRules, user: str, password: str) -> None:
    problem = rules.password_problem(user, password)
    if problem:
        raise BadRequest(f"Invalid password for user {user}: {problem}.")


def _check_account_name(rules: NameRules, name: str, host: str) -> None:
    problem = rules.user_problem(name)
    if problem:
        raise BadRequest(f"Invalid user name {name!r}: {problem}.")
    problem = rules.host_problem(host)
    if problem:
        raise BadRequest(f"Invalid host {host!r} of user {name}: {problem}.")


def _check_new_users(session: Session, instance: Instance, users: tuple[UserRequest, ...]) -> None:
    rules = name_rules(instance)
    keys = [account(u.name, u.host or DEFAULT_HOST) for u in users]
    if len(set(keys)) != len(keys):
        raise BadRequest("A user is given twice.")
    for u in users:
        host = u.host or DEFAULT_HOST
        _check_account_name(rules, u.name, host)
        _check_password(rules, u.name, u.password)
        if accounts.find_user(session, instance.id, u.name, host) is not None:
            raise BadRequest(f"User {account(u.name, host)} already exists.")
        _require_databases(session, instance.id, u.databases)


def _check_change(
    session: Session, instance: Instance, name: str, host: str, change: UserChange
) -> None:
    rules = name_rules(instance)
    new_name, new_host = change.name or name, change.host or host
    _check_account_name(rules, new_name, new_host)
    if change.password is not None:
        _check_password(rules, new_name, change.password)
    moved = (new_name, new_host) != (name, host)
    if moved and accounts.find_user(session, instance.id, new_name, new_host) is not None:
        raise BadRequest(f"User {account(new_name, new_host)} already exists.")
