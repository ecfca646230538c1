"""Backup schedules (a Strongroom extension): per instance, when the worker takes a backup
(daily at a UTC time or every N hours; every `full_every`-th one a full, incrementals in
between) and which scheduled chains it keeps (the `keep_fulls` newest, or `keep_days`).
`BackupScheduler.run` is the worker's periodic duty."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.config import Settings
from strongroom.contracts.errors import BadRequest, NotFound, StrongroomError
from strongroom.drivers.objectstore.registry import open_object_store
from strongroom.identity.context import RequestContext
from strongroom.jobs import kinds
from strongroom.jobs.queue import JobQueue
from strongroom.services.backups import BackupService
from strongroom.services.scope import check_write, visible_instance
from strongroom.store import backups, instances
from strongroom.store.database import Database, utcnow
from strongroom.store.models import Backup, BackupSchedule

log = logging.getLogger(__name__)

CHECK_SECONDS = 30.0  # how often the worker looks for due schedules and expired chains
FAILED_KEPT = timedelta(days=1)  # a FAILED scheduled backup is dropped after this
SWEEP_SECONDS = 3600.0  # how often the store is asked to drop what interrupted puts left


@runtime_checkable
class OrphanSweeper(Protocol):
    """A store that can remove the leftovers of puts interrupted long ago (segments,
    unfinished uploads, partial files) that no object names."""

    def sweep_orphans(self, idle_seconds: float = ...) -> int: ...


_DAILY_AT = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class ScheduleRequest:
    daily_at: str | None = None
    every_hours: int | None = None
    full_every: int = 1
    keep_fulls: int | None = None
    keep_days: int | None = None


@dataclass(frozen=True)
class ScheduleView:
    instance_id: str
    daily_at: str | None
    every_hours: int | None
    full_every: int
    keep_fulls: int | None
    keep_days: int | None
    next_run_at: datetime


class BackupScheduleService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, ctx: RequestContext, instance_id: str) -> ScheduleView:
        with self.db.read() as s:
            visible_instance(s, ctx, instance_id)
            row = s.get(BackupSchedule, instance_id)
            if row is None:
                raise NotFound("The instance has no backup schedule.")
            return _view(row)

    def put(self, ctx: RequestContext, instance_id: str, req: ScheduleRequest) -> ScheduleView:
        check_write(ctx)
        _check(req)
        now = utcnow()
        with self.db.write() as s:
            instance = visible_instance(s, ctx, instance_id)
            row = s.get(BackupSchedule, instance_id)
            if row is None:
                row = BackupSchedule(
                    instance_id=instance.id, project_id=instance.project_id, runs=0, created_at=now
                )
                s.add(row)
            row.daily_at, row.every_hours = req.daily_at, req.every_hours
            row.full_every, row.keep_fulls, row.keep_days = (
                req.full_every,
                req.keep_fulls,
                req.keep_days,
            )
            row.next_run_at = next_run(row, now)
            row.updated_at = now
            instances.record_event(s, instance, "backup schedule", f"backup schedule: {_say(req)}")
            s.flush()
            return _view(row)

    def delete(self, ctx: RequestContext, instance_id: str) -> None:
        check_write(ctx)
        with self.db.write() as s:
            instance = visible_instance(s, ctx, instance_id)
            row = s.get(BackupSchedule, instance_id)
            if row is None:
                raise NotFound("The instance has no backup schedule.")
            s.delete(row)
            instances.record_event(s, instance, "backup schedule", "backup schedule removed")


def next_run(row: BackupSchedule, after: datetime) -> datetime:
    if row.every_hours is not None:
        return after + timedelta(hours=row.every_hours)
    match = _DAILY_AT.match(row.daily_at or "")
    assert match is not None
    at = after.replace(hour=int(match[1]), minute=int(match[2]), second=0, microsecond=0)
    return at if at > after else at + timedelta(days=1)


class BackupScheduler:
    """Takes due scheduled backups and deletes expired scheduled chains (the worker's duty;
    several workers may run it: each schedule row is taken under a row lock)."""

    def __init__(self, settings: Settings, db: Database, queue: JobQueue) -> None:
        self.settings = settings
        self.db = db
        self.queue = queue
        self.backups = BackupService(settings, db, queue)
        self._swept_at = 0.0

    def run(self, now: datetime | None = None) -> None:
        now = now or utcnow()
        with self.db.read() as s:
            ids = list(s.scalars(select(BackupSchedule.instance_id)))
        for instance_id in ids:
            try:
                self._take_if_due(instance_id, now)
                self._expire(instance_id, now)
            except Exception:  # one schedule never stops the others
                log.exception("backup schedule of instance %s failed", instance_id)
        self.sweep_store()

    def sweep_store(self) -> None:
        """Now and then, let the store drop what puts of killed workers left behind."""
        if time.monotonic() - self._swept_at < SWEEP_SECONDS:
            return
        self._swept_at = time.monotonic()
        store = open_object_store(self.settings)
        if isinstance(store, OrphanSweeper):
            removed = store.sweep_orphans(SWEEP_SECONDS)
            if removed:
                log.info("backup store: removed %d leftover(s) of interrupted puts", removed)

    def _take_if_due(self, instance_id: str, now: datetime) -> None:
        with self.db.write() as s:
            row = s.get(BackupSchedule, instance_id, with_for_update=True)
            if row is None or row.next_run_at > now:
                return
            instance = instances.get_live(s, instance_id)
            if instance is None:  # the instance is gone: its backups stay, the schedule goes
                s.delete(row)
                return
            row.next_run_at, row.runs = next_run(row, now), row.runs + 1
            row.updated_at = now
            full = (row.runs - 1) % row.full_every == 0
            parent = None if full else backups.latest_completed(s, instance_id)
            name = f"scheduled-{now:%Y%m%dT%H%M%SZ}"
            try:  # add_backup checks everything before it writes
                self.backups.add_backup(s, instance, name, None, parent, scheduled=True)
            except StrongroomError as exc:  # not ACTIVE, one running, over quota: skip this one
                instances.record_event(
                    s, instance, "backup", f"scheduled backup skipped: {exc.message}"
                )

    def _expire(self, instance_id: str, now: datetime) -> None:
        with self.db.write() as s:
            row = s.get(BackupSchedule, instance_id)
            if row is None:
                return
            for backup in expired(s, row, now):
                backups.set_status(backup, backups.DELETING)
                payload = {"backup_id": backup.id}
                self.queue.enqueue(s, kinds.DELETE_BACKUP, backup.id, payload=payload)


def expired(s: Session, schedule: BackupSchedule, now: datetime) -> list[Backup]:
    """Scheduled backups past the retention: whole chains (a full and everything built on
    it) beyond the `keep_fulls` newest or whose newest backup is older than `keep_days`, and
    FAILED scheduled backups older than a day. A chain holding a manual backup, or one
    still running, is kept."""
    rows = backups.list_backups(s, None, instance_id=schedule.instance_id, limit=100_000)
    found = [
        b
        for b in rows
        if b.scheduled and b.status == backups.FAILED and b.created_at < now - FAILED_KEPT
    ]
    if schedule.keep_fulls is None and schedule.keep_days is None:
        return found
    children: dict[str, list[Backup]] = {}
    for b in rows:
        if b.parent_id is not None:
            children.setdefault(b.parent_id, []).append(b)
    fulls = [  # only the schedule's own fulls count: manual ones never push a chain out
        b for b in rows if b.scheduled and b.kind == backups.FULL and b.status == backups.COMPLETED
    ]
    for index, full in enumerate(fulls):  # newest first
        chain = _with_descendants(full, children)
        newest = max(b.created_at for b in chain)
        too_many = schedule.keep_fulls is not None and index >= schedule.keep_fulls
        too_old = schedule.keep_days is not None and newest < now - timedelta(
            days=schedule.keep_days
        )
        settled = all(b.scheduled and b.status == backups.COMPLETED for b in chain)
        if (too_many or too_old) and settled:
            found.extend(chain)
    return found


def _with_descendants(root: Backup, children: dict[str, list[Backup]]) -> list[Backup]:
    chain, todo = [], [root]
    while todo:
        backup = todo.pop()
        chain.append(backup)
        todo.extend(children.get(backup.id, []))
    return chain


def _check(req: ScheduleRequest) -> None:
    if (req.daily_at is None) == (req.every_hours is None):
        raise BadRequest("A backup schedule needs exactly one of daily_at or every_hours.")
    if req.daily_at is not None and not _DAILY_AT.match(req.daily_at):
        raise BadRequest("daily_at is a UTC time HH:MM, such as 02:30.")
    if req.every_hours is not None and not 1 <= req.every_hours <= 24 * 7:
        raise BadRequest("every_hours must be between 1 and 168.")
    if not 1 <= req.full_every <= 100:
        raise BadRequest("full_every must be between 1 and 100.")
    if req.keep_fulls is not None and req.keep_days is not None:
        raise BadRequest("Give at most one retention: keep_fulls or keep_days.")
    if req.keep_fulls is not None and not 1 <= req.keep_fulls <= 1000:
        raise BadRequest("keep_fulls must be between 1 and 1000.")
    if req.keep_days is not None and not 1 <= req.keep_days <= 3650:
        raise BadRequest("keep_days must be between 1 and 3650.")


def _say(req: ScheduleRequest) -> str:
    when = f"daily at {req.daily_at} UTC" if req.daily_at else f"every {req.every_hours} h"
    keep = (
        f"keep {req.keep_fulls} fulls"
        if req.keep_fulls
        else f"keep {req.keep_days} days"
        if req.keep_days
        else "keep all"
    )
    return f"{when}, a full every {req.full_every} run(s), {keep}"


def _view(row: BackupSchedule) -> ScheduleView:
    return ScheduleView(
        instance_id=row.instance_id,
        daily_at=row.daily_at,
        every_hours=row.every_hours,
        full_every=row.full_every,
        keep_fulls=row.keep_fulls,
        keep_days=row.keep_days,
        next_run_at=row.next_run_at,
    )
