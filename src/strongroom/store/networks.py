"""Networks and ports (IPAM): addresses are rows, unique while held."""

from __future__ import annotations

import ipaddress
import uuid

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from strongroom.config.settings import NetworkSettings
from strongroom.contracts.errors import InfrastructureError
from strongroom.store.database import Database, utcnow
from strongroom.store.models import Network, Port


def sync_networks(session: Session, configured: list[NetworkSettings]) -> None:
    """Make the networks table match the config; ids stay stable across restarts."""
    existing = {n.name: n for n in session.scalars(select(Network))}
    for net in configured:
        host = str(next(ipaddress.ip_network(net.cidr).hosts()))
        row = existing.get(net.name)
        if row is None:
            session.add(
                Network(
                    id=str(uuid.uuid4()),
                    name=net.name,
                    role=net.role,
                    subnet_id=str(uuid.uuid4()),
                    cidr=net.cidr,
                    host_address=host,
                )
            )
        else:
            row.role, row.cidr, row.host_address = net.role, net.cidr, host


def find_user_network(session: Session, key: str | None) -> Network | None:
    """A user network by id or name; the first configured one when `key` is None."""
    query = select(Network).where(Network.role == "user")
    if key is None:
        return session.scalars(query.order_by(Network.name)).first()
    return session.scalars(query.where((Network.id == key) | (Network.name == key))).first()


def management_network(session: Session) -> Network:
    return session.scalars(select(Network).where(Network.role == "management")).one()


def allocate_port(db: Database, instance_id: str, network_id: str, role: str) -> Port:
    """The instance's port on the network, allocating the lowest free address if it has none."""
    for _ in range(20):
        try:
            return _allocate_once(db, instance_id, network_id, role)
        except IntegrityError:
            continue  # another allocator took this address first; pick again
    raise InfrastructureError("could not allocate an address (contention)", retryable=True)


def _allocate_once(db: Database, instance_id: str, network_id: str, role: str) -> Port:
    with db.write() as s:
        held = s.scalars(
            select(Port).where(Port.instance_id == instance_id, Port.role == role)
        ).first()
        if held is not None:
            return held
        network = s.get(Network, network_id)
        if network is None:
            raise InfrastructureError(f"network {network_id} is gone")
        taken = set(s.scalars(select(Port.address).where(Port.network_id == network_id)))
        taken.add(network.host_address)
        free = next(
            (str(a) for a in ipaddress.ip_network(network.cidr).hosts() if str(a) not in taken),
            None,
        )
        if free is None:
            raise InfrastructureError(f"network {network.name} has no free address")
        port = Port(
            id=str(uuid.uuid4()),
            instance_id=instance_id,
            network_id=network_id,
            role=role,
            address=free,
            created_at=utcnow(),
        )
        s.add(port)
    return port


def ports_of(session: Session, instance_id: str) -> list[Port]:
    return list(session.scalars(select(Port).where(Port.instance_id == instance_id)))


def release_ports(session: Session, instance_id: str) -> None:
    session.execute(delete(Port).where(Port.instance_id == instance_id))
