"""What the workers' health duties remember of each instance (table `instance_health`) and the
instance's operating status, shared by every worker.

Each change of state is a conditional UPDATE (compare-and-set) saying what it expects to find:
of several workers racing on the same change, exactly one sees its row updated, and only that
one records the event. On PostgreSQL a racing UPDATE waits for the other's commit and then
re-checks its condition; SQLite runs one write transaction at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from strongroom.store.database import utcnow
from strongroom.store.models import Instance, InstanceHealth


def get(session: Session, instance_id: str) -> InstanceHealth | None:
    """The instance's state as committed now (never a copy cached by the session)."""
    return session.get(InstanceHealth, instance_id, populate_existing=True)


def ensure(session: Session, instance_id: str) -> InstanceHealth:
    """The instance's state, its row made first when there is none (a race is harmless)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    fresh = {"agent_misses": 0, "wal_unhealthy": False, "updated_at": utcnow()}
    session.execute(
        insert(InstanceHealth)
        .values(instance_id=instance_id, **fresh)
        .on_conflict_do_nothing(index_elements=["instance_id"])
    )
    row = get(session, instance_id)
    if row is None:  # only a concurrent delete of the row (forget) between the two
        raise LookupError(f"no health state for instance {instance_id}")
    return row


def _set_if(
    session: Session, instance_id: str, expected: Sequence[ColumnElement[bool]], **values: Any
) -> bool:
    """Set `values` only if the row still matches `expected`; whether it did."""
    statement = (
        update(InstanceHealth)
        .where(InstanceHealth.instance_id == instance_id, *expected)
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], session.execute(statement)).rowcount == 1


def _is(column: Any, value: Any) -> ColumnElement[bool]:
    return cast(ColumnElement[bool], column.is_(None) if value is None else column == value)


def set_operating(
    session: Session, instance_id: str, watched: Sequence[str], was: str, now: str
) -> bool:
    """Move a live instance whose status is in `watched` from operating status `was` to
    `now`; False when another worker (or an operation) changed it first."""
    statement = (
        update(Instance)
        .where(
            Instance.id == instance_id,
            Instance.deleted_at.is_(None),
            Instance.status.in_(watched),
            Instance.operating_status == was,
        )
        .values(operating_status=now)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], session.execute(statement)).rowcount == 1


def reset_agent_misses(session: Session, instance_id: str) -> None:
    """The agent answered, or was started: its count of unanswered checks starts again."""
    _set_if(session, instance_id, [InstanceHealth.agent_misses != 0], agent_misses=0)


def agent_missed(session: Session, instance_id: str) -> int:
    """One more unanswered check, whichever worker asked; how many in a row now."""
    ensure(session, instance_id)
    _set_if(session, instance_id, [], agent_misses=InstanceHealth.agent_misses + 1)
    row = get(session, instance_id)
    return 0 if row is None else row.agent_misses


def claim_agent_start(session: Session, instance_id: str, *, misses: int, every: timedelta) -> bool:
    """Whether this worker is the one to start the agent: it missed at least `misses` checks
    in a row and no worker started it within `every`. The claim is recorded at once."""
    now = utcnow()
    started = InstanceHealth.agent_started_at
    expected = [
        InstanceHealth.agent_misses >= misses,
        or_(started.is_(None), started <= now - every),
    ]
    return _set_if(session, instance_id, expected, agent_started_at=now)


def restarts_told(session: Session, instance_id: str, was: datetime | None, now: datetime) -> bool:
    """Move the newest engine restart already told from `was` to `now`; False when another
    worker told them first."""
    column = InstanceHealth.restarts_told_until
    return _set_if(session, instance_id, [_is(column, was)], restarts_told_until=now)


def set_wal_unhealthy(session: Session, instance_id: str, unhealthy: bool) -> bool:
    """Move the WAL archive's state to `unhealthy`; False when it is so already (another
    worker said it first)."""
    expected = [InstanceHealth.wal_unhealthy == (not unhealthy)]
    return _set_if(session, instance_id, expected, wal_unhealthy=unhealthy)


def set_wal_failures_seen(
    session: Session, instance_id: str, was: float | None, now: float
) -> None:
    """Move the engine's archiver failure count last seen from `was` to `now` (kept if another
    worker moved it meanwhile)."""
    column = InstanceHealth.wal_failures_seen
    _set_if(session, instance_id, [_is(column, was)], wal_failures_seen=now)


def forgotten(session: Session) -> list[str]:
    """Instances whose state is kept but that are deleted (or gone)."""
    live = select(Instance.id).where(Instance.deleted_at.is_(None))
    query = select(InstanceHealth.instance_id).where(InstanceHealth.instance_id.not_in(live))
    return list(session.scalars(query))


def forget(session: Session, instance_ids: Sequence[str]) -> None:
    session.execute(delete(InstanceHealth).where(InstanceHealth.instance_id.in_(instance_ids)))
