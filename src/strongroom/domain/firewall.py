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


def derive_rules(
    access: Access,
    *,
    engine_port: int,
    user_subnet: str,
    agent_port: int,
    control_plane_address: str,
) -> tuple[FirewallRule, ...]:
    """Inbound rules of one instance; everything not allowed here is dropped.

    - public: the engine port from anywhere (IPv4 and IPv6);
    - private with `allowed_cidrs`: the engine port from exactly those CIDRs;
    - private without: the engine port from the instance's own user subnet only;
    - always: the agent port from the control plane's management address only.
    """
    if access.is_public:
        sources: tuple[str, ...] = ANYWHERE
    elif access.allowed_cidrs:
        sources = tuple(dict.fromkeys(parse_cidr(c) for c in access.allowed_cidrs))
    else:
        sources = (parse_cidr(user_subnet),)
    rules = [FirewallRule(source=s, port=engine_port) for s in sources]
    control = ipaddress.ip_address(control_plane_address)
    rules.append(FirewallRule(source=f"{control}/{control.max_prefixlen}", port=agent_port))
    return tuple(rules)
