"""The mirror side of account changes: confirm what the guest did (and say so in an event),
or, when the guest refused, put back what was there before (and say why)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from strongroom.steps.accounts import CREATED, account
from strongroom.steps.base import Step, StepContext
from strongroom.store import accounts, instances
from strongroom.store.models import Instance

EVENT_KIND = "accounts"

# Changes the mirror and returns the sentence that becomes the event.
MirrorChange = Callable[[Session, StepContext], str]


class Recorded(Step):
    """Apply a mirror change once the guest did its part, with an event in the same commit."""

    def __init__(self, name: str, change: MirrorChange) -> None:
        self.name = name  # type: ignore[misc]
        self.change = change

    def do(self, ctx: StepContext) -> None:
        with ctx.db.write() as s:
            instance = s.get(Instance, ctx.resource_id)
            if instance is None or instance.deleted_at is not None:
                return
            instances.record_event(s, instance, EVENT_KIND, self.change(s, ctx))


def reverted(change: MirrorChange) -> Callable[[StepContext], None]:
    """A workflow's `on_failure`: undo the intent in the mirror; the event carries the reason.
    The instance itself stays as it was (its engine still runs)."""

    def on_failure(ctx: StepContext) -> None:
        with ctx.db.write() as s:
            instance = s.get(Instance, ctx.resource_id)
            if instance is None or instance.deleted_at is not None:
                return
            what = change(s, ctx)
            reason = ctx.error.get("message", "unknown error")
            instances.record_event(s, instance, EVENT_KIND, f"{what}: {reason}")

    return on_failure


def _names(ctx: StepContext, key: str) -> list[str]:
    return [item["name"] for item in ctx.payload[key]]


def _accounts(ctx: StepContext) -> list[str]:
    return [account(u["name"], u["host"]) for u in ctx.payload["users"]]


# --- databases -------------------------------------------------------------------------------


def databases_created(s: Session, ctx: StepContext) -> str:
    names = _names(ctx, "databases")
    accounts.set_database_state(s, ctx.resource_id, names, accounts.READY)
    return f"database(s) created: {', '.join(names)}"


def databases_not_created(s: Session, ctx: StepContext) -> str:
    done = set(ctx.state.get(CREATED, []))
    names = _names(ctx, "databases")
    accounts.set_database_state(s, ctx.resource_id, [n for n in names if n in done], accounts.READY)
    accounts.drop_databases(s, ctx.resource_id, [n for n in names if n not in done])
    return f"database(s) not created: {', '.join(n for n in names if n not in done)}"


def database_deleted(s: Session, ctx: StepContext) -> str:
    accounts.drop_databases(s, ctx.resource_id, [ctx.payload["name"]])
    return f"database deleted: {ctx.payload['name']}"


def database_not_deleted(s: Session, ctx: StepContext) -> str:
    accounts.set_database_state(s, ctx.resource_id, [ctx.payload["name"]], accounts.READY)
    return f"database not deleted: {ctx.payload['name']}"


# --- users -----------------------------------------------------------------------------------


def _set_user_state(s: Session, ctx: StepContext, name: str, host: str, state: str) -> None:
    user = accounts.find_user(s, ctx.resource_id, name, host)
    if user is not None:
        user.state = state


def users_created(s: Session, ctx: StepContext) -> str:
    for u in ctx.payload["users"]:
        _set_user_state(s, ctx, u["name"], u["host"], accounts.READY)
    return f"user(s) created: {', '.join(_accounts(ctx))}"


def users_not_created(s: Session, ctx: StepContext) -> str:
    done = set(ctx.state.get(CREATED, []))
    for u in ctx.payload["users"]:
        if account(u["name"], u["host"]) in done:
            _set_user_state(s, ctx, u["name"], u["host"], accounts.READY)
        else:
            accounts.drop_user(s, ctx.resource_id, u["name"], u["host"])
    return f"user(s) not created: {', '.join(a for a in _accounts(ctx) if a not in done)}"


def user_updated(s: Session, ctx: StepContext) -> str:
    p = ctx.payload
    _set_user_state(s, ctx, p["new_name"], p["new_host"], accounts.READY)
    before, after = account(p["name"], p["host"]), account(p["new_name"], p["new_host"])
    renamed = f" (now {after})" if after != before else ""
    return f"user updated: {before}{renamed}"


def user_not_updated(s: Session, ctx: StepContext) -> str:
    p = ctx.payload
    user = accounts.find_user(s, ctx.resource_id, p["new_name"], p["new_host"])
    if user is not None:
        user.name, user.host, user.state = p["name"], p["host"], accounts.READY
    return f"user not updated: {account(p['name'], p['host'])}"


def passwords_changed(s: Session, ctx: StepContext) -> str:
    return f"password(s) changed: {', '.join(_accounts(ctx))}"


def passwords_not_changed(s: Session, ctx: StepContext) -> str:
    return f"password(s) not changed: {', '.join(_accounts(ctx))}"


def user_deleted(s: Session, ctx: StepContext) -> str:
    accounts.drop_user(s, ctx.resource_id, ctx.payload["name"], ctx.payload["host"])
    return f"user deleted: {account(ctx.payload['name'], ctx.payload['host'])}"


def user_not_deleted(s: Session, ctx: StepContext) -> str:
    _set_user_state(s, ctx, ctx.payload["name"], ctx.payload["host"], accounts.READY)
    return f"user not deleted: {account(ctx.payload['name'], ctx.payload['host'])}"


def access_changed(s: Session, ctx: StepContext) -> str:
    p = ctx.payload
    _set_user_state(s, ctx, p["name"], p["host"], accounts.READY)
    if "database" in p:
        return f"access of {account(p['name'], p['host'])} to {p['database']} revoked"
    return f"access of {account(p['name'], p['host'])} granted to {', '.join(p['databases'])}"


def access_not_changed(s: Session, ctx: StepContext) -> str:
    p = ctx.payload
    user = accounts.find_user(s, ctx.resource_id, p["name"], p["host"])
    if user is not None:
        user.databases, user.state = list(p["previous"]), accounts.READY
    return f"access of {account(p['name'], p['host'])} not changed"


# --- root ------------------------------------------------------------------------------------


def root_enabled(s: Session, ctx: StepContext) -> str:
    return "root enabled"


def root_not_enabled(s: Session, ctx: StepContext) -> str:
    if ctx.payload.get("first"):  # never enabled after all
        accounts.forget_root(s, ctx.resource_id)
    else:
        accounts.set_root(s, ctx.resource_id, enabled=False)
    return "root not enabled"


def root_disabled(s: Session, ctx: StepContext) -> str:
    return "root disabled"


def root_not_disabled(s: Session, ctx: StepContext) -> str:
    accounts.set_root(s, ctx.resource_id, enabled=True)
    return "root not disabled"
