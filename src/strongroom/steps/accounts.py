"""Steps that change accounts inside the instance through the guest: databases, users,
grants, root. Every guest call is idempotent, so re-running a step after a crash is safe."""

from __future__ import annotations

from typing import Any

from strongroom.contracts.errors import NotFound
from strongroom.drivers.specs import DatabaseSpec, GuestTarget, UserChange, UserSpec
from strongroom.steps.base import RetryPolicy, Step, StepContext
from strongroom.steps.facts import load_facts

# The agent answers 409 (retryable) while an engine operation runs: wait it out.
GUEST_RETRY = RetryPolicy(attempts=5, backoff_seconds=0.5)
CREATED = "created"  # ctx.state: names the guest has done, kept when a later one fails


def target(ctx: StepContext) -> GuestTarget:
    return load_facts(ctx).guest_target()


def account(name: str, host: str) -> str:
    return f"{name}@{host}"


def _done(ctx: StepContext, key: str) -> None:
    done: list[str] = ctx.state.setdefault(CREATED, [])
    if key not in done:
        done.append(key)


class CreateDatabases(Step):
    name = "guest_create_databases"
    retry = GUEST_RETRY

    def do(self, ctx: StepContext) -> None:
        where = target(ctx)
        for d in ctx.payload["databases"]:
            ctx.drivers.guest.create_database(where, DatabaseSpec(**d))
            _done(ctx, d["name"])


class DeleteDatabase(Step):
    name = "guest_delete_database"
    retry = GUEST_RETRY

    def do(self, ctx: StepContext) -> None:
        ctx.drivers.guest.delete_database(target(ctx), ctx.payload["name"])


class CreateUsers(Step):
    name = "guest_create_users"
    retry = GUEST_RETRY

    def do(self, ctx: StepContext) -> None:
        where = target(ctx)
        passwords: dict[str, str] = ctx.secrets["passwords"]
        for u in ctx.payload["users"]:
            key = account(u["name"], u["host"])
            spec = UserSpec(u["name"], passwords[key], u["host"], tuple(u["databases"]))
            ctx.drivers.guest.create_user(where, spec)
            _done(ctx, key)


class UpdateUser(Step):
    """Rename, re-host and/or re-password one user. After a crash the rename may be done
    already: the old account is then missing and the change goes to the new one."""

    name = "guest_update_user"
    retry = GUEST_RETRY

    def do(self, ctx: StepContext) -> None:
        p: dict[str, Any] = ctx.payload
        password = ctx.secrets.get("password")
        moved = (p["new_name"], p["new_host"]) != (p["name"], p["host"])
        change = UserChange(
            name=p["new_name"] if p["new_name"] != p["name"] else None,
            host=p["new_host"] if p["new_host"] != p["host"] else None,
            password=password,
        )
        where = target(ctx)
        try:
            ctx.drivers.guest.update_user(where, p["name"], p["host"], change)
        except NotFound:
            if not moved:
                raise
            if password is not None:
                again = UserChange(password=password)
                ctx.drivers.guest.update_user(where, p["new_name"], p["new_host"], again)


class ChangePasswords(Step):
    name = "guest_change_passwords"
    retry = GUEST_RETRY

    def do(self, ctx: StepContext) -> None:
        where = target(ctx)
        passwords: dict[str, str] = ctx.secrets["passwords"]
        for u in ctx.payload["users"]:
            change = UserChange(password=passwords[account(u["name"], u["host"])])
            ctx.drivers.guest.update_user(where, u["name"], u["host"], change)


class DeleteUser(Step):
    name = "guest_delete_user"
    retry = GUEST_RETRY

    def do(self, ctx: StepContext) -> None:
        ctx.drivers.guest.delete_user(target(ctx), ctx.payload["name"], ctx.payload["host"])


class GrantAccess(Step):
    name = "guest_grant_access"
    retry = GUEST_RETRY

    def do(self, ctx: StepContext) -> None:
        p = ctx.payload
        databases = tuple(p["databases"])
        ctx.drivers.guest.grant_databases(target(ctx), p["name"], p["host"], databases)


class RevokeAccess(Step):
    name = "guest_revoke_access"
    retry = GUEST_RETRY

    def do(self, ctx: StepContext) -> None:
        p = ctx.payload
        ctx.drivers.guest.revoke_database(target(ctx), p["name"], p["host"], p["database"])


class EnableRoot(Step):
    name = "guest_enable_root"
    retry = GUEST_RETRY

    def do(self, ctx: StepContext) -> None:
        ctx.drivers.guest.enable_root(target(ctx), ctx.secrets["root_password"])


class DisableRoot(Step):
    name = "guest_disable_root"
    retry = GUEST_RETRY

    def do(self, ctx: StepContext) -> None:
        ctx.drivers.guest.disable_root(target(ctx))
