"""Clients on a run's networks: a namespace with one veth on a bridge, and probes run inside it.

Names carry the run's prefix (`<prefix>-cli…` namespaces, `<prefix>v…` host veths), so the
local-backend harness's inventory and sweep see and remove them even when a test fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from ipaddress import IPv4Interface

from strongroom.drivers.linux import links
from strongroom.drivers.linux.commands import in_netns

PROBE_TIMEOUT = 2.0

# argv: host port source timeout; prints one of connected / refused / dropped / unreachable.
_TCP_PROBE = """
import errno, socket, sys
host, port, source, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
try:
    with socket.create_connection((host, port), timeout, (source, 0) if source else None):
        print("connected")
except ConnectionRefusedError:
    print("refused")
except TimeoutError:
    print("dropped")
except OSError as exc:
    print("unreachable" if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH) else repr(exc))
"""

# argv: JSON {host, port, source, user, password, database, timeout}; prints a JSON verdict.
_MYSQL_PROBE = """
import json, sys
import pymysql
a = json.loads(sys.argv[1])
try:
    conn = pymysql.connect(host=a["host"], port=a["port"], user=a["user"],
        password=a["password"], database=a["database"], bind_address=a["source"],
        connect_timeout=a["timeout"])
    with conn, conn.cursor() as cur:
        cur.execute("SELECT CONNECTION_ID(), @@hostname")
        print(json.dumps({"verdict": "served", "row": list(cur.fetchone())}))
except pymysql.err.OperationalError as exc:
    code = exc.args[0]
    text = str(exc.args[1]) if len(exc.args) > 1 else ""
    verdict = "denied" if code == 1045 else "dropped" if "timed out" in text else "failed"
    print(json.dumps({"verdict": verdict, "code": code, "text": text[:200]}))
"""


@dataclass(frozen=True)
class Client:
    """A client namespace with one address on one bridge."""

    netns: str
    veth: str
    address: IPv4Interface

    @property
    def ip(self) -> str:
        return str(self.address.ip)

    def tcp(self, host: str, port: int, timeout: float = PROBE_TIMEOUT) -> str:
        """Connect from inside the namespace: connected, refused, dropped or unreachable."""
        argv = [sys.executable, "-c", _TCP_PROBE, host, str(port), self.ip, str(timeout)]
        return _run(self.netns, argv).strip()

    def mysql(self, host: str, port: int, login: tuple[str, str, str]) -> str:
        """Log in with PyMySQL bound to the client's address: served, denied, dropped, failed."""
        user, password, database = login
        args = {
            "host": host,
            "port": port,
            "source": self.ip,
            "user": user,
            "password": password,
            "database": database,
            "timeout": PROBE_TIMEOUT,
        }
        out = _run(self.netns, [sys.executable, "-c", _MYSQL_PROBE, json.dumps(args)])
        return str(json.loads(out)["verdict"])

    def add_route(self, destination: str, via: str) -> None:
        """A route an attacker on this network could add (e.g. the management /24 via the host)."""
        subprocess.run(
            ["ip", "-n", self.netns, "route", "replace", destination, "via", via],
            check=True,
            capture_output=True,
        )


def attach(prefix: str, name: str, bridge: str, address: IPv4Interface) -> Client:
    """A namespace `<prefix>-<name>` whose veth peer (`eth0`, `address`) sits on `bridge`."""
    netns = f"{prefix}-{name}"
    links.ensure_netns(netns)
    veth = links.short_name(f"{prefix}v", f"client:{name}")
    links.ensure_veth(links.VethSpec(veth, netns, "eth0", bridge, address))
    return Client(netns=netns, veth=veth, address=address)


def detach(client: Client) -> None:
    links.delete_veth(client.veth)
    links.delete_netns(client.netns)


def probe_in(netns: str, host: str, port: int, source: str = "") -> str:
    """The TCP probe run in any namespace (an instance's), from `source` when given."""
    argv = [sys.executable, "-c", _TCP_PROBE, host, str(port), source, str(PROBE_TIMEOUT)]
    return _run(netns, argv).strip()


def _run(netns: str, argv: list[str]) -> str:
    proc = subprocess.run(in_netns(netns, argv), capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        raise AssertionError(f"probe failed in {netns}: {proc.stderr[-500:]}")
    return proc.stdout
