"""Steps on ports, networks and the firewall."""

from __future__ import annotations

from strongroom.domain.firewall import derive_rules
from strongroom.steps.base import Step, StepContext
from strongroom.steps.facts import AGENT_PORT, load_facts
from strongroom.store import networks
from strongroom.store.models import Instance


class AllocatePorts(Step):
    """One address on the management network and one on the instance's user network."""

    name = "allocate_ports"

    def do(self, ctx: StepContext) -> None:
        with ctx.db.read() as s:
            instance = s.get(Instance, ctx.resource_id)
            assert instance is not None
            mgmt_id, user_id = networks.management_network(s).id, instance.network_id
        networks.allocate_port(ctx.db, ctx.resource_id, mgmt_id, "management")
        networks.allocate_port(ctx.db, ctx.resource_id, user_id, "user")

    def undo(self, ctx: StepContext) -> None:
        with ctx.db.write() as s:
            networks.release_ports(s, ctx.resource_id)


class PlugPorts(Step):
    name = "plug_ports"

    def do(self, ctx: StepContext) -> None:
        ctx.drivers.network.plug(load_facts(ctx).sandbox())

    def undo(self, ctx: StepContext) -> None:
        ctx.drivers.network.unplug(ctx.resource_id)


class ApplyFirewall(Step):
    """Rules derived from the instance's access intent, every time, by one pure function."""

    name = "apply_firewall"

    def do(self, ctx: StepContext) -> None:
        facts = load_facts(ctx)
        rules = derive_rules(
            facts.access,
            engine_port=facts.engine_port,
            user_subnet=facts.user_subnet,
            agent_port=AGENT_PORT,
            control_plane_address=facts.control_plane_address,
        )
        ctx.drivers.network.apply_firewall(ctx.resource_id, rules)

    def undo(self, ctx: StepContext) -> None:
        ctx.drivers.network.remove_firewall(ctx.resource_id)
