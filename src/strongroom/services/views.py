"""Read models the API renders: what a user may see of an instance, and nothing more."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.datastores import load_catalog
from strongroom.domain.firewall import Access, FirewallRule, engine_rules
from strongroom.domain.instance_status import shown_status
from strongroom.store import wal
from strongroom.store.models import Instance, Network, Port


@dataclass(frozen=True)
class AddressView:
    address: str
    type: str
    network: str


@dataclass(frozen=True)
class FaultView:
    message: str
    created: datetime
    details: str | None


@dataclass(frozen=True)
class EventView:
    id: int
    kind: str
    message: str
    created: datetime


@dataclass(frozen=True)
class InstanceView:
    id: str
    name: str
    project_id: str
    status: str
    operating_status: str
    flavor_id: str
    datastore: str
    datastore_version: str
    volume_size: int
    volume_used: float | None
    addresses: tuple[AddressView, ...]
    is_public: bool
    allowed_cidrs: tuple[str, ...]
    created: datetime
    updated: datetime
    service_status_updated: datetime | None
    fault: FaultView | None
    rules: tuple[FirewallRule, ...]
    deletion_protection: bool = False
    archives_wal: bool = False
    latest_restorable_time: datetime | None = None


def instance_views(session: Session, rows: list[Instance], *, admin: bool) -> list[InstanceView]:
    """Views of many instances with two queries, whatever their number."""
    ids = [r.id for r in rows]
    ports: dict[str, list[Port]] = {}
    if ids:
        query = select(Port).where(Port.instance_id.in_(ids), Port.role == "user")
        for p in session.scalars(query):
            ports.setdefault(p.instance_id, []).append(p)
    nets = {n.id: n for n in session.scalars(select(Network))}
    archiving = {d.name for d in load_catalog() if "wal_archiving" in d.capabilities}
    latest = wal.latest_ends(session, [r.id for r in rows if r.datastore in archiving])
    return [
        replace(
            _view(r, ports.get(r.id, []), nets, admin=admin),
            archives_wal=r.datastore in archiving,
            latest_restorable_time=latest.get(r.id),
        )
        for r in rows
    ]


def _view(
    row: Instance, ports: list[Port], nets: dict[str, Network], *, admin: bool
) -> InstanceView:
    kind = "public" if row.is_public else "private"
    fault = None
    if row.status == "ERROR" and row.fault_message:
        fault = FaultView(
            message=row.fault_message,
            created=row.fault_created_at or row.updated_at,
            details=row.fault_details if admin else None,
        )
    return InstanceView(
        id=row.id,
        name=row.name,
        project_id=row.project_id,
        status=shown_status(row.status),
        operating_status=row.operating_status,
        flavor_id=row.flavor_id,
        datastore=row.datastore,
        datastore_version=row.datastore_version,
        volume_size=row.volume_size,
        volume_used=row.volume_used,
        addresses=tuple(AddressView(p.address, kind, nets[p.network_id].id) for p in ports),
        is_public=row.is_public,
        allowed_cidrs=tuple(row.allowed_cidrs),
        created=row.created_at,
        updated=row.updated_at,
        service_status_updated=row.service_status_updated_at,
        fault=fault,
        rules=engine_rules(
            Access(row.is_public, tuple(row.allowed_cidrs)),
            engine_port=_engine_port(row.datastore),
            user_subnet=nets[row.network_id].cidr,
        ),
        deletion_protection=bool(row.deletion_protection),
    )


def _engine_port(datastore: str) -> int:
    return next(d.port for d in load_catalog() if d.name == datastore)
