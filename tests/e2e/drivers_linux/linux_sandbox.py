"""Shared test helpers: run and sandbox records, a greeting TCP server, TCP clients."""

from __future__ import annotations

import ipaddress
import json
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

from strongroom.drivers.linux import processes
from strongroom.drivers.linux.commands import in_netns

CONNECT_TIMEOUT = 1.0

# A TCP server that greets every connection; argv: address port marker.
SERVER = """
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(16)
while True:
    c, _ = s.accept()
    c.sendall(b"hello")
    c.close()
"""

# Connect and print what the server says; argv: address port timeout.
CLIENT = """
import socket, sys
try:
    with socket.create_connection((sys.argv[1], int(sys.argv[2])), float(sys.argv[3])) as c:
        print(c.recv(16).decode())
except OSError as exc:
    print(type(exc).__name__)
"""


@dataclass(frozen=True)
class Run:
    prefix: str
    dir: Path


@dataclass(frozen=True)
class Sandbox:
    netns: str
    veth: str
    address: IPv4Address


SandboxFactory = Callable[[str, int], Sandbox]


def _subnet_in_use(net: IPv4Network) -> bool:
    out = subprocess.run(["ip", "-j", "-4", "route", "show"], capture_output=True, check=True)
    for route in json.loads(out.stdout or b"[]"):
        dst = route.get("dst", "default")
        if dst == "default":
            continue
        other = ipaddress.ip_network(dst)
        if route.get("type") == "unreachable" and other.prefixlen < net.prefixlen:
            continue  # the safety route covering the whole range
        if other.overlaps(net):
            return True
    return False


def free_subnet() -> IPv4Network:
    """A random 198.19.X.0/24 (inside the safety range, never 198.18.0-3) no route uses."""
    for _ in range(50):
        net = IPv4Network(f"198.19.{secrets.randbelow(256)}.0/24")
        if not _subnet_in_use(net):
            return net
    raise RuntimeError("no free /24 in 198.19.0.0/16")


def server_spec(
    run: Run,
    name: str,
    address: IPv4Address,
    port: int,
    netns: str | None = None,
    cgroup: str | None = None,
) -> processes.ProcessSpec:
    """The greeting server bound to `address:port`, marked `<prefix>-<name>`."""
    marker = f"{run.prefix}-{name}"
    return processes.ProcessSpec(
        argv=(sys.executable, "-I", "-S", "-c", SERVER, str(address), str(port), marker),
        pidfile=run.dir / f"{name}.pid",
        logfile=run.dir / f"{name}.log",
        marker=marker,
        netns=netns,
        cgroup=cgroup,
    )


def fetch(address: IPv4Address, port: int, source: IPv4Address | None = None) -> bytes:
    """Connect from the host (optionally from `source`) and return the greeting."""
    bind = (str(source), 0) if source else None
    with socket.create_connection(
        (str(address), port), timeout=CONNECT_TIMEOUT, source_address=bind
    ) as conn:
        return conn.recv(16)


def wait_served(address: IPv4Address, port: int, source: IPv4Address | None = None) -> bytes:
    """`fetch`, retrying while the server is not listening yet (up to 5 s)."""
    deadline = time.monotonic() + 5.0
    while True:
        try:
            return fetch(address, port, source)
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def fetch_from_netns(netns: str, address: IPv4Address, port: int) -> str:
    """Connect from inside `netns`; returns the greeting or the error's class name."""
    argv = [sys.executable, "-I", "-S", "-c", CLIENT, str(address), str(port)]
    argv.append(str(CONNECT_TIMEOUT))
    out = subprocess.run(in_netns(netns, argv), capture_output=True, text=True, check=True)
    return out.stdout.strip()
