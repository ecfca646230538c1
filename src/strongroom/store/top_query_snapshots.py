"""Snapshots of instances' top-query lists: writes, the snapshots that bound a range, and
retention (every snapshot for the raw retention, then the first of each hour, then none)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, tuple_
from sqlalchemy.orm import Session

from strongroom.store.models import TopQuerySnapshot

THIN_WINDOW = timedelta(days=1)
"""How far back past the every-snapshot retention one pass thins."""


@dataclass(frozen=True)
class Snapshot:
    time: datetime
    queries: list[dict[str, Any]]


def add(
    session: Session, instance_id: str, time: datetime, queries: Sequence[dict[str, Any]]
) -> None:
    session.add(TopQuerySnapshot(instance_id=instance_id, time=time, queries=list(queries)))


def bounding(session: Session, instance_id: str, start: datetime, end: datetime) -> list[Snapshot]:
    """The newest snapshot at or before `start` (when there is one), then every snapshot in
    `(start, end]`, oldest first."""
    before = session.scalars(
        select(TopQuerySnapshot)
        .where(TopQuerySnapshot.instance_id == instance_id, TopQuerySnapshot.time <= start)
        .order_by(TopQuerySnapshot.time.desc())
        .limit(1)
    ).all()
    within = session.scalars(
        select(TopQuerySnapshot)
        .where(
            TopQuerySnapshot.instance_id == instance_id,
            TopQuerySnapshot.time > start,
            TopQuerySnapshot.time <= end,
        )
        .order_by(TopQuerySnapshot.time)
    ).all()
    return [Snapshot(row.time, list(row.queries)) for row in [*before, *within]]


def apply_retention(session: Session, now: datetime, every_keep: timedelta, keep: timedelta) -> int:
    """Keep every snapshot younger than `every_keep`, the first of each hour until `keep`,
    none older; returns how many were deleted."""
    expired = delete(TopQuerySnapshot).where(TopQuerySnapshot.time < now - keep)
    dropped = cast(CursorResult[Any], session.execute(expired)).rowcount
    # older hours were thinned by earlier passes: each pass reads a day, not the whole week
    since = _hour(now - every_keep - THIN_WINDOW)
    old = session.execute(
        select(TopQuerySnapshot.instance_id, TopQuerySnapshot.time)
        .where(TopQuerySnapshot.time >= since, TopQuerySnapshot.time < now - every_keep)
        .order_by(TopQuerySnapshot.instance_id, TopQuerySnapshot.time)
    ).all()
    kept: set[tuple[str, datetime]] = set()
    surplus = []
    for instance_id, time in old:
        hour = (instance_id, _hour(time))
        if hour in kept:
            surplus.append((instance_id, time))
        else:
            kept.add(hour)
    if surplus:
        key = tuple_(TopQuerySnapshot.instance_id, TopQuerySnapshot.time)
        session.execute(delete(TopQuerySnapshot).where(key.in_(surplus)))
    return int(dropped or 0) + len(surplus)


def _hour(time: datetime) -> datetime:
    return time.replace(minute=0, second=0, microsecond=0)
