"""Steps of backups: take one (guest stream -> pipeline -> object store), delete one, and
restore a chain into a new instance. The agent never sees the store or its credentials: the
worker pulls the stream over the instance's mTLS channel and writes the object itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from strongroom.backups.keys import BackupKeys
from strongroom.backups.stream_pipeline import BackupSource, StoredBackup, open_chain, store_backup
from strongroom.contracts.backups import BackupKind, StreamEncoding
from strongroom.contracts.errors import Conflict, InfrastructureError
from strongroom.domain.instance_status import Status
from strongroom.drivers.guest.base import RestoreSource
from strongroom.drivers.objectstore.registry import open_object_store
from strongroom.jobs.kinds import DELETE_INSTANCE
from strongroom.jobs.queue import JobQueue
from strongroom.keyring import Keyring, SecretBox
from strongroom.steps.base import RetryPolicy, Step, StepContext
from strongroom.steps.facts import load_facts
from strongroom.steps.wal_restore import wal_parts
from strongroom.store import backups, instances
from strongroom.store.database import utcnow
from strongroom.store.models import Backup

RESTORE_TIMEOUT_SECONDS = 3600.0


def backup_keys(ctx: StepContext) -> BackupKeys:
    return BackupKeys(Keyring(ctx.settings.state_dir))


def _backup_id(ctx: StepContext) -> str:
    return str(ctx.payload["backup_id"])


def _require(backup: Backup | None, backup_id: str) -> Backup:
    if backup is None:
        raise InfrastructureError(f"backup {backup_id} has no record")
    return backup


class MarkBackupBuilding(Step):
    name = "mark_backup_building"

    def do(self, ctx: StepContext) -> None:
        with ctx.db.write() as s:
            backup = _require(backups.get(s, _backup_id(ctx)), _backup_id(ctx))
            if backup.status == backups.NEW:
                backups.set_status(backup, backups.BUILDING)


class StreamBackup(Step):
    """Pull the engine's backup stream (compressed by the agent) and store it (encrypted,
    checksummed); the row turns COMPLETED with size, checksum, location and checkpoint in
    one write.

    A stream is never resumed: a worker that died mid-stream leaves `stream_started_at` set,
    and the job's next owner fails the backup (its object is removed by the failure
    handler; a store put is atomic, so no partial object was ever visible)."""

    name = "stream_backup"
    retry = RetryPolicy(attempts=1, backoff_seconds=2.0)

    def do(self, ctx: StepContext) -> None:
        backup_id = _backup_id(ctx)
        with ctx.db.write() as s:
            backup = _require(backups.get(s, backup_id), backup_id)
            if backup.status == backups.COMPLETED:
                return
            if backup.stream_started_at is not None:
                raise InfrastructureError(
                    "the worker taking the backup stopped mid-stream",
                    detail=f"stream started {backup.stream_started_at.isoformat()}Z",
                )
            backup.stream_started_at = utcnow()
            attempt = _Attempt(
                backup_id,
                BackupKind(backup.kind),
                _parent_checkpoint(s, backup),
                backups.object_key(backup),
                backup.stream_started_at,
            )
        try:
            self._stream(ctx, attempt)
        except BaseException:
            with ctx.db.write() as s:  # this worker saw the failure: a retry may stream again
                row = backups.get(s, backup_id)
                if row is not None and row.stream_started_at == attempt.started:
                    row.stream_started_at = None
            raise

    def _stream(self, ctx: StepContext, attempt: _Attempt) -> None:
        store = open_object_store(ctx.settings)
        master = backup_keys(ctx).current()
        target = load_facts(ctx).guest_target()
        with ctx.drivers.guest.backup(target, attempt.kind, attempt.parent) as source:
            stored, trailer = store_backup(
                BackupSource(source.chunks(), source.trailer, source.encoding),
                store,
                attempt.key,
                master,
            )
        with ctx.db.write() as s:
            backup = _require(backups.get(s, attempt.backup_id), attempt.backup_id)
            if backup.stream_started_at != attempt.started or backup.status != backups.BUILDING:
                # Another worker took the job over meanwhile (this one stalled): it decides.
                raise InfrastructureError("the backup was taken over by another worker")
            backup.size_bytes, backup.checksum = stored.size, stored.sha256
            backup.location, backup.key_id = stored.key, master.key_id
            backup.checkpoint = trailer.checkpoint
            backups.set_status(backup, backups.COMPLETED)
            instance = instances.get_live(s, backup.instance_id)
            if instance is not None:
                what = f"backup {backup.name!r} ({backup.kind}, {stored.size} bytes) completed"
                instances.record_event(s, instance, "backup", what)


@dataclass(frozen=True)
class _Attempt:
    """One try at streaming a backup, named by when it started (`stream_started_at`)."""

    backup_id: str
    kind: BackupKind
    parent: str | None
    key: str
    started: datetime


def _parent_checkpoint(s: Any, backup: Backup) -> str | None:
    if backup.parent_id is None:
        return None
    parent = backups.get(s, backup.parent_id)
    if parent is None or parent.status != backups.COMPLETED or not parent.checkpoint:
        raise InfrastructureError(f"the parent backup {backup.parent_id} is not COMPLETED")
    return parent.checkpoint


class DeleteInstanceAfterBackup(Step):
    """For `DELETE /instances/{id}?final_backup=true`: once the final backup is COMPLETED,
    the instance's delete is queued (a failed final backup leaves the instance running)."""

    name = "delete_instance_after_backup"

    def do(self, ctx: StepContext) -> None:
        if not ctx.payload.get("then_delete_instance"):
            return
        box = SecretBox(Keyring(ctx.settings.state_dir).fernet_key("job-secrets"))
        with ctx.db.write() as s:
            instance = instances.get_live(s, ctx.resource_id)
            if instance is None or instance.status == Status.DELETING:
                return
            if instance.deletion_protection:
                what = "delete not done after the final backup: deletion protection is on"
                instances.record_event(s, instance, "delete", what)
                return
            instances.set_status(
                s, instance, Status.DELETING, "delete requested after the final backup"
            )
            JobQueue(ctx.db, box).enqueue(s, DELETE_INSTANCE, instance.id, payload={})


def fail_backup(ctx: StepContext) -> None:
    """The backup ends FAILED with a readable fault, and no object is left behind."""
    backup_id = _backup_id(ctx)
    with ctx.db.read() as s:
        backup = backups.get(s, backup_id)
        if backup is None or backup.status == backups.COMPLETED:
            return
        key = backups.object_key(backup)
    open_object_store(ctx.settings).delete(key)
    with ctx.db.write() as s:
        backup = backups.get(s, backup_id)
        if backup is None or backup.status == backups.COMPLETED:
            return
        message = f"the backup failed: {ctx.error.get('message', 'unknown error')}"
        backups.set_fault(backup, backups.FAILED, message, ctx.error.get("detail"))
        instance = instances.get_live(s, backup.instance_id)
        if instance is not None:
            instances.record_event(s, instance, "backup", f"backup {backup.name!r}: {message}")


# --- delete a backup ------------------------------------------------------------------------


class DeleteBackupObject(Step):
    name = "delete_backup_object"

    def do(self, ctx: StepContext) -> None:
        with ctx.db.read() as s:
            backup = backups.get(s, _backup_id(ctx))
            if backup is None:
                return
            key = backup.location or backups.object_key(backup)
        open_object_store(ctx.settings).delete(key)


class DropBackupRecord(Step):
    name = "drop_backup_record"

    def do(self, ctx: StepContext) -> None:
        with ctx.db.write() as s:
            backup = backups.get(s, _backup_id(ctx))
            if backup is not None:
                s.delete(backup)


def backup_delete_failed(ctx: StepContext) -> None:
    with ctx.db.write() as s:
        backup = backups.get(s, _backup_id(ctx))
        if backup is not None:
            message = f"the backup could not be deleted: {ctx.error.get('message', 'unknown')}"
            backups.set_fault(backup, backups.DELETE_FAILED, message, ctx.error.get("detail"))


# --- restore into a new instance ------------------------------------------------------------


class RestoreBackup(Step):
    """When the instance is created from a backup (`restorePoint`): verify every object of
    the chain (size, sha256, every record) before the first byte goes to the guest, then
    restore it (full first, incrementals in order) and start the engine. A refused chain
    fails the create, which is rolled back: never a half-restored instance."""

    name = "restore_backup"
    retry = RetryPolicy(attempts=2, backoff_seconds=2.0)

    def do(self, ctx: StepContext) -> None:
        chain_ids: list[str] = ctx.payload.get("restore_chain") or []
        if not chain_ids:
            return
        target = load_facts(ctx).guest_target()
        if ctx.drivers.guest.health(target).engine_running:
            return  # restored before this worker stopped
        kinds, stored = _stored_chain(ctx, chain_ids)
        store = open_object_store(ctx.settings)
        parts = open_chain(store, stored, backup_keys(ctx), StreamEncoding.ZSTD)
        chain = [
            RestoreSource(kind, part, StreamEncoding.ZSTD)
            for kind, part in zip(kinds, parts, strict=True)
        ] + [RestoreSource(kind, chunks) for kind, chunks in wal_parts(ctx, chain_ids)]
        try:
            ctx.drivers.guest.restore(target, chain, RESTORE_TIMEOUT_SECONDS)
        except Conflict:  # the data was moved into place before a crash: just start it
            ctx.drivers.guest.start_engine(target, RESTORE_TIMEOUT_SECONDS)


def _stored_chain(
    ctx: StepContext, chain_ids: list[str]
) -> tuple[list[BackupKind], list[StoredBackup]]:
    kinds: list[BackupKind] = []
    stored: list[StoredBackup] = []
    with ctx.db.read() as s:
        for backup_id in chain_ids:
            backup = backups.get(s, backup_id)
            if backup is None or backup.status != backups.COMPLETED or backup.location is None:
                raise InfrastructureError(
                    f"backup {backup_id} of the restore chain is no longer available"
                )
            kinds.append(BackupKind(backup.kind))
            stored.append(
                StoredBackup(backup.location, backup.size_bytes or 0, backup.checksum or "")
            )
    return kinds, stored
