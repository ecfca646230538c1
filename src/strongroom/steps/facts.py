"""What steps need to know about an instance, read from the control DB in one place."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.contracts.agent import DEFAULT_AGENT_PORT
from strongroom.contracts.errors import InfrastructureError
from strongroom.datastores import load_catalog
from strongroom.domain.firewall import Access
from strongroom.drivers.specs import GuestTarget, PortSpec, SandboxSpec
from strongroom.steps.base import StepContext
from strongroom.store import catalog, networks
from strongroom.store.models import Instance, Network

AGENT_PORT = DEFAULT_AGENT_PORT


@dataclass(frozen=True)
class InstanceFacts:
    instance_id: str
    project_id: str
    datastore: str
    datastore_version: str
    engine_port: int
    ram_mb: int
    vcpus: int
    volume_size: int
    access: Access
    ports: tuple[PortSpec, ...]
    user_subnet: str
    control_plane_address: str

    def sandbox(self) -> SandboxSpec:
        return SandboxSpec(self.instance_id, self.ram_mb, self.vcpus, self.ports)

    def address(self, role: str) -> str:
        return next(p.address for p in self.ports if p.role == role)

    def guest_target(self) -> GuestTarget:
        return GuestTarget(self.instance_id, self.address("management"))


def load_facts(ctx: StepContext) -> InstanceFacts:
    with ctx.db.read() as s:
        instance = s.get(Instance, ctx.resource_id)
        if instance is None:
            raise InfrastructureError(f"instance {ctx.resource_id} has no record")
        flavor = catalog.find_flavor(s, instance.flavor_id)
        if flavor is None:
            raise InfrastructureError(f"flavor {instance.flavor_id} no longer exists")
        nets = {n.id: n for n in s.query(Network)}
        ports = tuple(
            PortSpec(
                role=p.role,
                network_name=nets[p.network_id].name,
                address=p.address,
                prefix_length=int(nets[p.network_id].cidr.split("/")[1]),
            )
            for p in sorted(networks.ports_of(s, instance.id), key=lambda p: p.role)
        )
        mgmt = networks.management_network(s)
        user_net = nets[instance.network_id]
        datastore = next(d for d in load_catalog() if d.name == instance.datastore)
        return InstanceFacts(
            instance_id=instance.id,
            project_id=instance.project_id,
            datastore=instance.datastore,
            datastore_version=instance.datastore_version,
            engine_port=datastore.port,
            ram_mb=flavor.ram,
            vcpus=flavor.vcpus,
            volume_size=instance.volume_size,
            access=Access(instance.is_public, tuple(instance.allowed_cidrs)),
            ports=ports,
            user_subnet=user_net.cidr,
            control_plane_address=mgmt.host_address,
        )
