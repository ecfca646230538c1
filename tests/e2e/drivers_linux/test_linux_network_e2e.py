"""Namespaces on a bridge, the firewall inside them and the host's safety route, for real."""

from __future__ import annotations

import errno
import secrets
import socket
import subprocess
import time
from ipaddress import IPv4Interface, IPv4Network, ip_network

import pytest
from linux_sandbox import (
    Run,
    SandboxFactory,
    fetch,
    fetch_from_netns,
    free_subnet,
    server_spec,
    wait_served,
)

from strongroom.drivers.linux import links, nftables, processes
from strongroom.drivers.linux.commands import in_netns
from strongroom.drivers.linux.commands import run as run_command

pytestmark = pytest.mark.e2e

PORT = 7306


def test_firewall_decides_who_reaches_a_detached_server(
    run: Run, sandbox: SandboxFactory, bridge: tuple[str, IPv4Interface]
) -> None:
    _, host = bridge
    a, b = sandbox("a", 10), sandbox("b", 11)
    spec = server_spec(run, "srv-a", a.address, PORT, netns=a.netns)
    processes.start(spec)
    assert wait_served(a.address, PORT, source=host.ip) == b"hello"
    assert fetch_from_netns(b.netns, a.address, PORT) == "hello"

    only_b = [nftables.AllowRule(source=ip_network(f"{b.address}/32"), port=PORT)]
    nftables.apply_ruleset(a.netns, nftables.render_ruleset("strongroom", only_b))
    with pytest.raises(TimeoutError):
        fetch(a.address, PORT, source=host.ip)
    assert fetch_from_netns(b.netns, a.address, PORT) == "hello"

    with_host = [*only_b, nftables.AllowRule(source=ip_network(f"{host.ip}/32"), port=PORT)]
    nftables.apply_ruleset(a.netns, nftables.render_ruleset("strongroom", with_host))
    assert fetch(a.address, PORT, source=host.ip) == b"hello"
    live = nftables.read_ruleset(a.netns)
    assert live is not None and f"ip saddr {host.ip} tcp dport {PORT} accept" in live
    assert processes.stop(spec.pidfile, spec.marker) is True


def test_ruleset_replaces_only_its_table_and_accepts_ipv6(
    sandbox: SandboxFactory,
) -> None:
    a = sandbox("fw", 20)
    other = "table inet keepme {\n\tchain c {\n\t\ttype filter hook input priority 10;\n\t}\n}\n"
    run_command(in_netns(a.netns, ["nft", "-f", "-"]), input_text=other)
    rules = [
        nftables.AllowRule(source=ip_network("2001:db8::/32"), port=5432),
        nftables.AllowRule(source=ip_network("198.19.0.0/16"), port=5432),
    ]
    text = nftables.render_ruleset("strongroom", rules)
    nftables.apply_ruleset(a.netns, text)
    first = nftables.read_ruleset(a.netns)
    nftables.apply_ruleset(a.netns, text)
    assert nftables.read_ruleset(a.netns) == first
    assert first is not None
    assert "ip6 saddr 2001:db8::/32 tcp dport 5432 accept" in first
    assert "ip saddr 198.19.0.0/16 tcp dport 5432 accept" in first
    assert nftables.read_ruleset(a.netns, "keepme") is not None

    nftables.delete_ruleset(a.netns)
    nftables.delete_ruleset(a.netns)
    assert nftables.read_ruleset(a.netns) is None
    assert nftables.read_ruleset(a.netns, "keepme") is not None


def test_links_and_namespaces_are_idempotent(
    run: Run, subnet: IPv4Network, bridge: tuple[str, IPv4Interface]
) -> None:
    name, host = bridge
    links.ensure_bridge(name, host)
    netns, veth = f"{run.prefix}-idem", links.short_name(run.prefix, "idem")
    spec = links.VethSpec(veth, netns, "eth0", name, IPv4Interface(f"{subnet[30]}/24"))
    try:
        for _ in range(2):
            links.ensure_netns(netns)
            links.ensure_veth(spec)
        assert links.list_netns(run.prefix) == [netns]
        assert links.list_links(run.prefix) == sorted([name, veth])
        assert links.list_links("eth", netns=netns) == ["eth0"]
        lo = run_command(["ip", "-n", netns, "-br", "link", "show", "lo"]).stdout
        assert "UP" in lo
    finally:
        for _ in range(2):
            links.delete_veth(veth)
            links.delete_netns(netns)
    assert links.list_netns(run.prefix) == []
    assert links.list_links(run.prefix) == [name]


def test_safety_route_makes_unbridged_addresses_unreachable() -> None:
    links.ensure_unreachable_route()
    links.ensure_unreachable_route()
    assert links.has_unreachable_route()
    lonely = free_subnet()[77]  # in the range, on no bridge
    proc = subprocess.run(["ip", "route", "get", str(lonely)], capture_output=True, text=True)
    assert proc.returncode != 0 and "No route to host" in proc.stderr, proc
    started = time.monotonic()
    with socket.socket() as sock, pytest.raises(OSError) as failure:
        sock.settimeout(1.0)
        sock.connect((str(lonely), 9))
    assert failure.value.errno == errno.EHOSTUNREACH
    assert time.monotonic() - started < 0.5


def test_safety_route_is_parameterised() -> None:
    # A private, unused /30 so the real safety route is left as it is.
    net = ip_network(f"198.19.{secrets.randbelow(256)}.252/30")
    links.ensure_unreachable_route(net, metric=4321)
    try:
        assert links.has_unreachable_route(net, metric=4321)
    finally:
        links.delete_unreachable_route(net, metric=4321)
        links.delete_unreachable_route(net, metric=4321)
    assert not links.has_unreachable_route(net, metric=4321)
