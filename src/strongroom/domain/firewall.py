"""Access intent -> firewall rules: the one pure function that decides who may connect."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

ANYWHERE = ("0.0.0.0/0", "::/0")


@dataclass(frozen=True)
class FirewallRule:
    """Allow `protocol` traffic to `port` from `source` (a CIDR)."""

    source: str
    port: int
    protocol: str = "tcp"


@dataclass(frozen=True)
class Access:
    is_public: bool
    allowed_cidrs: tuple[str, ...]


def parse_cidr(text: str) -> str:
    """Canonical form of an IPv4/IPv6 CIDR; ValueError naming the text when it is not one."""
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not an IPv4 or IPv6 CIDR") from exc


def engine_rules(access: Access, *, engine_port: int, user_subnet: str) -> tuple[FirewallRule, ...]:
    """Who may reach the datastore port (the part of the firewall users see):

    - public: anywhere (IPv4 and IPv6);
    - private with `allowed_cidrs`: exactly those CIDRs;
    - private without: the instance's own user subnet only.
    """
    if access.is_public:
        sources: tuple[str, ...] = ANYWHERE
    elif access.allowed_cidrs:
        sources = tuple(dict.fromkeys(parse_cidr(c) for c in access.allowed_cidrs))
    else:
        sources = (parse_cidr(user_subnet),)
    return tuple(FirewallRule(source=s, port=engine_port) for s in sources)


def derive_rules(
    access: Access,
    *,
    engine_port: int,
    user_subnet: str,
    agent_port: int,
    control_plane_address: str,
) -> tuple[FirewallRule, ...]:
    """Every inbound rule of one instance; everything not allowed here is dropped.

    The engine rules above, plus the agent port from the control plane's management address.
    """
    control = ipaddress.ip_address(control_plane_address)
    agent = FirewallRule(source=f"{control}/{control.max_prefixlen}", port=agent_port)
    return (*engine_rules(access, engine_port=engine_port, user_subnet=user_subnet), agent)
