"""Network namespaces, bridges, veth pairs and the host's safety route, all idempotent.

Every `ensure_*` converges to the requested state and is a no-op when it already holds;
every `delete_*` is a no-op when the object is missing. Names are validated before any
command runs: Linux interface names are at most 15 bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from ipaddress import IPv4Interface, IPv4Network, IPv6Interface, IPv6Network
from typing import Any

from strongroom.drivers.linux.commands import run

IFNAME_MAX = 15
SAFETY_RANGE = IPv4Network("198.18.0.0/15")
SAFETY_METRIC = 4000

_IFNAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_NETNS_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")

Interface = IPv4Interface | IPv6Interface


def validate_ifname(name: str) -> str:
    """Return `name` if it is a usable interface name (1-15 chars, no '/', space or ':')."""
    if len(name) > IFNAME_MAX or not _IFNAME_RE.fullmatch(name):
        raise ValueError(f"invalid interface name {name!r} (1-{IFNAME_MAX} of [A-Za-z0-9_.-])")
    return name


def validate_netns(name: str) -> str:
    """Return `name` if it is a usable network namespace name."""
    if not _NETNS_RE.fullmatch(name):
        raise ValueError(f"invalid network namespace name {name!r}")
    return name


def short_name(prefix: str, ident: str) -> str:
    """A deterministic interface name of exactly 15 chars: `prefix` + a hash of `ident`.

    The same (prefix, ident) always gives the same name; `prefix` may be at most 9 chars so
    that at least 6 hex digits (24 bits) of the hash remain.
    """
    if len(prefix) > IFNAME_MAX - 6:
        raise ValueError(f"prefix {prefix!r} too long (max {IFNAME_MAX - 6})")
    digest = hashlib.blake2b(ident.encode(), digest_size=8).hexdigest()
    return validate_ifname(prefix + digest[: IFNAME_MAX - len(prefix)])


# --- links ------------------------------------------------------------------------------------


def _ip(netns: str | None) -> list[str]:
    return ["ip"] if netns is None else ["ip", "-n", validate_netns(netns)]


def _json(argv: list[str]) -> list[dict[str, Any]]:
    out = run(argv).stdout.strip()
    return json.loads(out) if out else []


def link_exists(name: str, netns: str | None = None) -> bool:
    """Whether interface `name` exists (in `netns`, or on the host when None)."""
    proc = run([*_ip(netns), "link", "show", "dev", validate_ifname(name)], check=False)
    return proc.returncode == 0


def list_links(prefix: str, netns: str | None = None) -> list[str]:
    """Sorted names of the interfaces whose name starts with `prefix`."""
    links = _json([*_ip(netns), "-j", "link", "show"])
    return sorted(link["ifname"] for link in links if link["ifname"].startswith(prefix))


def delete_link(name: str, netns: str | None = None) -> None:
    """Delete interface `name` (a veth's peer goes with it). Missing: no-op."""
    if link_exists(name, netns):
        run([*_ip(netns), "link", "del", "dev", name])


def _ensure_address(name: str, address: Interface, netns: str | None) -> None:
    # `addr replace` adds the address or refreshes it: idempotent.
    run([*_ip(netns), "addr", "replace", str(address), "dev", name])


# --- bridges ----------------------------------------------------------------------------------


def ensure_bridge(name: str, address: Interface | None = None) -> None:
    """Ensure bridge `name` exists on the host, is up and carries `address` (e.g. 198.19.7.1/24).

    Addresses already on the bridge are kept; an existing non-bridge link of that name is an
    error (the `ip` command fails).
    """
    if not link_exists(name):
        run(["ip", "link", "add", "name", name, "type", "bridge"])
    if address is not None:
        _ensure_address(name, address, None)
    run(["ip", "link", "set", "dev", name, "up"])


def delete_bridge(name: str) -> None:
    """Delete bridge `name`; ports attached to it are detached, not deleted. Missing: no-op."""
    delete_link(name)


# --- safety route -----------------------------------------------------------------------------


def ensure_unreachable_route(
    network: IPv4Network | IPv6Network = SAFETY_RANGE, metric: int = SAFETY_METRIC
) -> None:
    """Ensure the host has `unreachable <network> metric <metric>` in its main table.

    More specific routes (a bridge's subnet) win; anything else in the range fails at once
    with EHOSTUNREACH instead of leaving the machine. Idempotent (`ip route replace`).
    """
    family = "-6" if network.version == 6 else "-4"
    run(["ip", family, "route", "replace", "unreachable", str(network), "metric", str(metric)])


def has_unreachable_route(
    network: IPv4Network | IPv6Network = SAFETY_RANGE, metric: int = SAFETY_METRIC
) -> bool:
    """Whether the host's main table holds `unreachable <network> metric <metric>`."""
    family = "-6" if network.version == 6 else "-4"
    routes = _json(["ip", family, "-j", "route", "show", "type", "unreachable"])
    return any(r.get("dst") == str(network) and r.get("metric") == metric for r in routes)


def delete_unreachable_route(
    network: IPv4Network | IPv6Network = SAFETY_RANGE, metric: int = SAFETY_METRIC
) -> None:
    """Remove the safety route for `network`. Missing: no-op."""
    if has_unreachable_route(network, metric):
        family = "-6" if network.version == 6 else "-4"
        run(["ip", family, "route", "del", "unreachable", str(network), "metric", str(metric)])


# --- namespaces -------------------------------------------------------------------------------


def list_netns(prefix: str = "") -> list[str]:
    """Sorted names of the network namespaces whose name starts with `prefix`."""
    names = [entry["name"] for entry in _json(["ip", "-j", "netns", "list"])]
    return sorted(n for n in names if n.startswith(prefix))


def netns_exists(name: str) -> bool:
    """Whether network namespace `name` exists."""
    return validate_netns(name) in list_netns(name)


def ensure_netns(name: str) -> None:
    """Ensure network namespace `name` exists with its loopback up."""
    if not netns_exists(name):
        run(["ip", "netns", "add", name])
    run(["ip", "-n", name, "link", "set", "dev", "lo", "up"])


def delete_netns(name: str) -> None:
    """Delete network namespace `name`. Missing: no-op.

    Interfaces inside go away with it once no process holds the namespace any more: stop its
    processes first (`processes.netns_pids`) or its veths linger.
    """
    if netns_exists(name):
        run(["ip", "netns", "del", name])


# --- veth pairs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class VethSpec:
    """A veth pair: `host_name` on the host attached to `bridge`, `peer_name` inside `netns`."""

    host_name: str
    netns: str
    peer_name: str
    bridge: str
    address: Interface

    def __post_init__(self) -> None:
        validate_ifname(self.host_name)
        validate_ifname(self.peer_name)
        validate_ifname(self.bridge)
        validate_netns(self.netns)


def ensure_veth(spec: VethSpec) -> None:
    """Ensure the pair exists, the host end is up on the bridge, the peer is up with its address.

    The peer is created directly inside the namespace, so its name (e.g. `eth0`) never
    collides with host interfaces. The namespace and the bridge must exist already.
    """
    if not link_exists(spec.host_name):
        peer = ["peer", "name", spec.peer_name, "netns", spec.netns]
        run(["ip", "link", "add", "name", spec.host_name, "type", "veth", *peer])
    run(["ip", "link", "set", "dev", spec.host_name, "master", spec.bridge, "up"])
    _ensure_address(spec.peer_name, spec.address, spec.netns)
    run(["ip", "-n", spec.netns, "link", "set", "dev", spec.peer_name, "up"])


def delete_veth(host_name: str) -> None:
    """Delete the veth pair by its host end (the peer in the namespace goes too). Missing: no-op."""
    delete_link(host_name)
