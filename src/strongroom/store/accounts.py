"""The mirror of an instance's databases, users, root and log switches: what was asked for.

The API writes a change here together with its job (state `creating`, `updating` or
`deleting`); the job marks it `ready` (or removes the row) once the guest did it, and puts the
previous state back when the guest refused. Reads are served from here, never from the guest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from strongroom.store.database import utcnow
from strongroom.store.models import InstanceDatabase, InstanceLog, InstanceRoot, InstanceUser

CREATING, READY, UPDATING, DELETING = "creating", "ready", "updating", "deleting"
VISIBLE = (CREATING, READY, UPDATING)


def databases_of(session: Session, instance_id: str) -> Sequence[InstanceDatabase]:
    """Databases that exist or are being created, by name (not those being dropped)."""
    query = select(InstanceDatabase).where(
        InstanceDatabase.instance_id == instance_id, InstanceDatabase.state.in_(VISIBLE)
    )
    return session.scalars(query.order_by(InstanceDatabase.name)).all()


def find_database(session: Session, instance_id: str, name: str) -> InstanceDatabase | None:
    return session.get(InstanceDatabase, (instance_id, name))


def add_database(
    session: Session,
    instance_id: str,
    name: str,
    character_set: str | None,
    collate: str | None,
    state: str = CREATING,
) -> None:
    session.add(
        InstanceDatabase(
            instance_id=instance_id,
            name=name,
            character_set=character_set,
            collate=collate,
            state=state,
            created_at=utcnow(),
        )
    )


def set_database_state(
    session: Session, instance_id: str, names: Iterable[str], state: str
) -> None:
    for name in names:
        row = find_database(session, instance_id, name)
        if row is not None:
            row.state = state


def drop_databases(session: Session, instance_id: str, names: Iterable[str]) -> None:
    """Remove database rows, and the dropped databases from every user's grants."""
    gone = set(names)
    session.execute(
        delete(InstanceDatabase).where(
            InstanceDatabase.instance_id == instance_id, InstanceDatabase.name.in_(gone)
        )
    )
    query = select(InstanceUser).where(InstanceUser.instance_id == instance_id)
    for user in session.scalars(query):
        if gone & set(user.databases):
            user.databases = [d for d in user.databases if d not in gone]


def users_of(session: Session, instance_id: str) -> Sequence[InstanceUser]:
    """Users that exist or are being created or changed, by (name, host)."""
    query = select(InstanceUser).where(
        InstanceUser.instance_id == instance_id, InstanceUser.state.in_(VISIBLE)
    )
    return session.scalars(query.order_by(InstanceUser.name, InstanceUser.host)).all()


def find_user(session: Session, instance_id: str, name: str, host: str) -> InstanceUser | None:
    return session.get(InstanceUser, (instance_id, name, host))


def add_user(
    session: Session,
    instance_id: str,
    name: str,
    host: str,
    databases: Iterable[str],
    state: str = CREATING,
) -> None:
    session.add(
        InstanceUser(
            instance_id=instance_id,
            name=name,
            host=host,
            databases=sorted(set(databases)),
            state=state,
            created_at=utcnow(),
        )
    )


def drop_user(session: Session, instance_id: str, name: str, host: str) -> None:
    session.execute(
        delete(InstanceUser).where(
            InstanceUser.instance_id == instance_id,
            InstanceUser.name == name,
            InstanceUser.host == host,
        )
    )


def root_of(session: Session, instance_id: str) -> InstanceRoot | None:
    return session.get(InstanceRoot, instance_id)


def set_root(session: Session, instance_id: str, enabled: bool) -> None:
    """Record root as enabled or not; the first enable is remembered for good."""
    now = utcnow()
    row = root_of(session, instance_id)
    if row is None:
        if not enabled:
            return
        session.add(
            InstanceRoot(
                instance_id=instance_id, enabled=True, first_enabled_at=now, updated_at=now
            )
        )
        return
    row.enabled = enabled
    row.updated_at = now


def forget_root(session: Session, instance_id: str) -> None:
    """Root was never enabled after all (the guest refused the first enable)."""
    row = root_of(session, instance_id)
    if row is not None:
        session.delete(row)


def log_switches(session: Session, instance_id: str) -> dict[str, bool]:
    """Optional logs switched on or off by request (absent: off, the engine's default)."""
    query = select(InstanceLog).where(InstanceLog.instance_id == instance_id)
    return {row.name: row.enabled for row in session.scalars(query)}


def set_log_switch(session: Session, instance_id: str, name: str, enabled: bool) -> None:
    row = session.get(InstanceLog, (instance_id, name))
    if row is None:
        session.add(
            InstanceLog(instance_id=instance_id, name=name, enabled=enabled, updated_at=utcnow())
        )
        return
    row.enabled = enabled
    row.updated_at = utcnow()
