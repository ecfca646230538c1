"""Networks on this host: a Linux bridge per configured network, a veth per port into the
instance's namespace, and nftables inside the namespace.

The host holds the first address of each network on its bridge and an `unreachable` route for
the whole reserved range, so a missing bridge fails fast instead of leaking traffic.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Sequence

from strongroom.config.settings import RESERVED_RANGE, NetworkSettings
from strongroom.contracts.errors import InfrastructureError
from strongroom.domain.firewall import FirewallRule
from strongroom.drivers.linux import links, nftables
from strongroom.drivers.linux.commands import run
from strongroom.drivers.local_layout import HostLayout
from strongroom.drivers.specs import SandboxSpec

FIREWALL_TABLE = nftables.DEFAULT_TABLE


class LocalNetwork:
    def __init__(self, layout: HostLayout, networks: Sequence[NetworkSettings]) -> None:
        self.layout = layout
        self.networks = {n.name: n for n in networks}

    def ensure_host(self) -> None:
        """Bridges with the host's address for every network, and the safety route."""
        if os.geteuid() != 0:
            raise InfrastructureError(
                "the local backend needs root",
                detail="namespaces, bridges, mounts, cgroups and nftables are privileged",
            )
        links.ensure_unreachable_route(RESERVED_RANGE)
        bridges = [self._ensure_bridge(name) for name in self.networks]
        # Sandboxes and neighbours may answer the host, never open connections to it.
        nftables.apply_host_guard(nftables.render_host_guard(self.layout.host_guard, bridges))

    def plug(self, spec: SandboxSpec) -> None:
        netns = self.layout.netns(spec.instance_id)
        for port in spec.ports:
            veth = links.VethSpec(
                host_name=self.layout.veth(spec.instance_id, port.role),
                netns=netns,
                peer_name=self.layout.peer(port.role),
                bridge=self._ensure_bridge(port.network_name),
                address=ipaddress.IPv4Interface(f"{port.address}/{port.prefix_length}"),
            )
            links.ensure_veth(veth)
            alias = self.layout.alias(spec.instance_id, port.role)
            run(["ip", "link", "set", "dev", veth.host_name, "alias", alias])

    def unplug(self, instance_id: str) -> None:
        for name in self._veths_of(instance_id):
            links.delete_veth(name)

    def apply_firewall(self, instance_id: str, rules: tuple[FirewallRule, ...]) -> None:
        allowed = [_allow_rule(r) for r in rules]
        script = nftables.render_ruleset(FIREWALL_TABLE, allowed)
        nftables.apply_ruleset(self._require_netns(instance_id), script)

    def remove_firewall(self, instance_id: str) -> None:
        netns = self.layout.netns(instance_id)
        if links.netns_exists(netns):
            nftables.delete_ruleset(netns, FIREWALL_TABLE)

    def list_plugged(self) -> set[str]:
        return set(self._aliased_links().values())

    def _ensure_bridge(self, network_name: str) -> str:
        network = self.networks.get(network_name)
        if network is None:
            raise InfrastructureError(f"network {network_name!r} is not configured")
        cidr = ipaddress.IPv4Network(network.cidr)
        name = self.layout.bridge(network_name)
        links.ensure_bridge(name, ipaddress.IPv4Interface(f"{next(cidr.hosts())}/{cidr.prefixlen}"))
        return name

    def _veths_of(self, instance_id: str) -> set[str]:
        """The instance's host veth ends: those aliased to it, and those named after it."""
        found = {name for name, owner in self._aliased_links().items() if owner == instance_id}
        roles = ("management", "user")
        found.update(
            self.layout.veth(instance_id, role)
            for role in roles
            if links.link_exists(self.layout.veth(instance_id, role))
        )
        return found

    def _aliased_links(self) -> dict[str, str]:
        """Host link name -> instance id, for every link carrying one of our aliases."""
        out = run(["ip", "-j", "link", "show"]).stdout.strip()
        owners = {}
        for link in json.loads(out) if out else []:
            owner = self.layout.instance_of_alias(link.get("ifalias", ""))
            if owner is not None:
                owners[link["ifname"]] = owner
        return owners

    def _require_netns(self, instance_id: str) -> str:
        netns = self.layout.netns(instance_id)
        if not links.netns_exists(netns):
            raise InfrastructureError(f"no sandbox namespace for instance {instance_id}")
        return netns


def _allow_rule(rule: FirewallRule) -> nftables.AllowRule:
    if rule.protocol != "tcp":
        raise InfrastructureError(f"the local firewall cannot filter {rule.protocol!r}")
    return nftables.AllowRule(source=ipaddress.ip_network(rule.source), port=rule.port)
