"""Switch an optional engine log through the guest (a refusal puts the switch back); publish
a log's new bytes into the object store, or discard the published copy."""

from __future__ import annotations

from collections.abc import Iterator

from strongroom.backups.published_logs import PublishedLog
from strongroom.contracts.errors import NotFound
from strongroom.datastores import load_catalog
from strongroom.drivers.objectstore.registry import open_object_store
from strongroom.drivers.specs import GuestTarget
from strongroom.steps.base import RetryPolicy, Step, StepContext
from strongroom.steps.facts import load_facts
from strongroom.store import accounts, instances
from strongroom.store.models import Instance


class SwitchLog(Step):
    name = "switch_log"
    retry = RetryPolicy(attempts=5, backoff_seconds=0.5)

    def do(self, ctx: StepContext) -> None:
        target = load_facts(ctx).guest_target()
        ctx.drivers.guest.set_log_enabled(target, ctx.payload["name"], ctx.payload["enabled"])
        with ctx.db.write() as s:
            instance = s.get(Instance, ctx.resource_id)
            if instance is not None:
                state = "enabled" if ctx.payload["enabled"] else "disabled"
                instances.record_event(s, instance, "logs", f"log {ctx.payload['name']} {state}")


def log_not_switched(ctx: StepContext) -> None:
    with ctx.db.write() as s:
        instance = s.get(Instance, ctx.resource_id)
        if instance is None or instance.deleted_at is not None:
            return
        accounts.set_log_switch(s, instance.id, ctx.payload["name"], ctx.payload["previous"])
        reason = ctx.error.get("message", "unknown error")
        instances.record_event(
            s, instance, "logs", f"log {ctx.payload['name']} not switched: {reason}"
        )


PUBLISH_CHUNK_BYTES = 1 << 20
PUBLISH_MAX_BYTES = 256 << 20
"""Most bytes one publish copies; the next publish goes on from there."""


class PublishLog(Step):
    """Copy what the engine wrote to a log since the last publish into the object store.
    A log that shrank was rotated or truncated: its published copy starts again."""

    name = "publish_log"
    retry = RetryPolicy(attempts=5, backoff_seconds=0.5)

    def do(self, ctx: StepContext) -> None:
        target = load_facts(ctx).guest_target()
        name = ctx.payload["name"]
        found = [g for g in ctx.drivers.guest.list_logs(target) if g.name == name]
        if not found:
            raise NotFound(f"Log {name} could not be found on instance {ctx.resource_id}.")
        published = PublishedLog(open_object_store(ctx.settings), ctx.resource_id, name)
        start = published.state().published_bytes
        if found[0].size_bytes < start:
            published.discard()
            start = 0
        end = min(found[0].size_bytes, start + PUBLISH_MAX_BYTES)
        state = published.append(_log_bytes(ctx, target, name, start, end))
        _event(ctx, f"log {name} published ({state.published_bytes} bytes in the store)")


class DiscardLog(Step):
    name = "discard_log"

    def do(self, ctx: StepContext) -> None:
        name = ctx.payload["name"]
        PublishedLog(open_object_store(ctx.settings), ctx.resource_id, name).discard()
        _event(ctx, f"published log {name} discarded")


class DiscardPublishedLogs(Step):
    """On delete: remove every published log of the instance from the object store."""

    name = "discard_published_logs"

    def do(self, ctx: StepContext) -> None:
        store = open_object_store(ctx.settings)
        with ctx.db.read() as s:
            instance = s.get(Instance, ctx.resource_id)
            datastore = instance.datastore if instance is not None else None
        for log_name in log_names(datastore):
            PublishedLog(store, ctx.resource_id, log_name).discard()


def log_names(datastore: str | None) -> list[str]:
    return [r.name for d in load_catalog() if d.name == datastore for r in d.logs]


def log_action_failed(ctx: StepContext) -> None:
    action = ctx.payload.get("action", "publish")
    reason = ctx.error.get("message", "unknown error")
    _event(ctx, f"log {ctx.payload['name']} {action} failed: {reason}")


def _log_bytes(
    ctx: StepContext, target: GuestTarget, name: str, start: int, end: int
) -> Iterator[bytes]:
    offset = start
    while offset < end:
        chunk = ctx.drivers.guest.read_log(
            target, name, offset, min(PUBLISH_CHUNK_BYTES, end - offset)
        )
        if not chunk.data:
            return
        yield chunk.data
        offset += len(chunk.data)


def _event(ctx: StepContext, message: str) -> None:
    with ctx.db.write() as s:
        instance = s.get(Instance, ctx.resource_id)
        if instance is not None and instance.deleted_at is None:
            instances.record_event(s, instance, "logs", message)
