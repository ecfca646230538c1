"""Flavors: seeded from the config, more added by operators."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.config.settings import FlavorSettings
from strongroom.store.models import Flavor


def sync_flavors(session: Session, configured: list[FlavorSettings]) -> None:
    """Add or update the configured flavors; operator-created ones are kept."""
    for f in configured:
        row = session.get(Flavor, f.id)
        if row is None:
            session.add(Flavor(id=f.id, name=f.name, ram=f.ram, vcpus=f.vcpus, disk=f.disk))
        else:
            row.name, row.ram, row.vcpus, row.disk = f.name, f.ram, f.vcpus, f.disk


def find_flavor(session: Session, key: str) -> Flavor | None:
    """A flavor by id or by name (openstackclient accepts both)."""
    return (
        session.get(Flavor, key)
        or session.scalars(select(Flavor).where(Flavor.name == key)).first()
    )


def list_flavors(session: Session) -> Sequence[Flavor]:
    return session.scalars(select(Flavor).order_by(Flavor.ram, Flavor.id)).all()


def add_flavor(session: Session, flavor: Flavor) -> None:
    session.add(flavor)
