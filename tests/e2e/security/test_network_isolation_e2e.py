"""Packet-level proof on the real local backend: client namespaces on the user bridge, real
MariaDB logins bound to their addresses, live access updates, instances probing each other's
agents, the user network probing the management network, and the agent's mTLS refusals."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from ipaddress import IPv4Interface, IPv4Network
from typing import Any

import pytest

from strongroom.contracts.agent import DEFAULT_AGENT_PORT, PATH_STATUS
from strongroom.drivers.linux import nftables, processes
from strongroom.drivers.local_layout import HostLayout
from strongroom.store import networks
from strongroom.worker.service import Worker
from tests.e2e.local_backend.local_backend_harness import LocalRun
from tests.e2e.security.client_netns import Client, attach, detach, probe_in
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.e2e

LOGIN = ("app", "S3cret-pass", "app")
ENGINE_PORT = 3306
TIMEOUT = 180.0


def _body(name: str, access: dict[str, Any]) -> dict[str, Any]:
    user, password, database = LOGIN
    return {
        "instance": {
            "name": name,
            "flavorRef": "sr.tiny",
            "volume": {"size": 1},
            "datastore": {"type": "mariadb", "version": "10.11"},
            "databases": [{"name": database}],
            "users": [{"name": user, "password": password, "databases": [{"name": database}]}],
            "access": access,
        }
    }


@pytest.fixture(scope="module")
def clients(plane: ControlPlane, local_run: LocalRun) -> Iterator[dict[str, Client]]:
    """`inside` (.201, the /32 instance A allows) and `outside` (.202) on the user bridge."""
    bridge = HostLayout.from_settings(plane.settings).bridge("public")
    prefix = local_run.public.prefixlen
    made = {
        "inside": attach(
            local_run.prefix, "cli1", bridge, IPv4Interface(f"{local_run.public[201]}/{prefix}")
        ),
        "outside": attach(
            local_run.prefix, "cli2", bridge, IPv4Interface(f"{local_run.public[202]}/{prefix}")
        ),
    }
    try:
        yield made
    finally:
        for client in made.values():
            detach(client)


@pytest.fixture(scope="module")
def pair(
    plane: ControlPlane, worker: Worker, demo: Tenant, local_run: LocalRun
) -> Iterator[dict[str, dict[str, Any]]]:
    """Instance `a` (private, only the inside client's /32) and `b` (private, own subnet)."""
    inside = f"{local_run.public[201]}/32"
    bodies = {
        "a": _body("sec-a", {"is_public": False, "allowed_cidrs": [inside]}),
        "b": _body("sec-b", {"is_public": False}),
    }
    ids = {}
    for key, body in bodies.items():
        r = plane.client.post(plane.url(demo, "instances"), json=body, headers=demo.headers())
        assert r.status_code == 200, r.text
        ids[key] = r.json()["instance"]["id"]
    try:
        docs = {k: plane.wait_status(demo, i, {"ACTIVE", "ERROR"}, TIMEOUT) for k, i in ids.items()}
        failed = {k: d.get("fault") for k, d in docs.items() if d["status"] != "ACTIVE"}
        assert not failed, f"{failed}\n{_install_logs(plane, ids)}"
        yield docs
    finally:
        for instance_id in ids.values():
            plane.client.delete(plane.url(demo, f"instances/{instance_id}"), headers=demo.headers())
        for instance_id in ids.values():
            plane.wait_status(demo, instance_id, {"DELETED", "ERROR"}, TIMEOUT)


def _install_logs(plane: ControlPlane, ids: dict[str, str]) -> str:
    """The engine's install log of each instance (for a failed create's message)."""
    layout = HostLayout.from_settings(plane.settings)
    logs = [layout.sandbox_dir(i) / "log" / "mariadb" / "install-db.log" for i in ids.values()]
    return "\n".join(p.read_text()[-2000:] for p in logs if p.exists())


def _user_address(doc: dict[str, Any]) -> str:
    return str(doc["addresses"][0]["address"])


def _management_address(plane: ControlPlane, instance_id: str) -> str:
    with plane.db.read() as s:
        return next(p.address for p in networks.ports_of(s, instance_id) if p.role == "management")


def _engine_pid(plane: ControlPlane, instance_id: str) -> int:
    netns = HostLayout.from_settings(plane.settings).netns(instance_id)
    found = [
        pid
        for pid in processes.netns_pids(netns)
        if "mariadbd" in " ".join(processes.cmdline(pid) or [])
    ]
    assert len(found) == 1, f"expected one mariadbd in {netns}, found {found}"
    return found[0]


def _wait_for_rule(plane: ControlPlane, instance_id: str, source: str) -> None:
    netns = HostLayout.from_settings(plane.settings).netns(instance_id)
    deadline = time.monotonic() + 60
    # nft prints a /32 as the bare address.
    wanted = f"saddr {source.removesuffix('/32')} "
    while wanted not in (nftables.read_ruleset(netns) or ""):
        assert time.monotonic() < deadline, f"{source} never reached the firewall of {netns}"
        time.sleep(0.1)


def test_only_allowed_sources_are_served(
    pair: dict[str, dict[str, Any]], clients: dict[str, Client]
) -> None:
    a, b = _user_address(pair["a"]), _user_address(pair["b"])
    assert clients["inside"].mysql(a, ENGINE_PORT, LOGIN) == "served"
    assert clients["outside"].mysql(a, ENGINE_PORT, LOGIN) == "dropped"
    # B admits its own user subnet, which both clients are in.
    assert clients["inside"].mysql(b, ENGINE_PORT, LOGIN) == "served"
    assert clients["outside"].mysql(b, ENGINE_PORT, LOGIN) == "served"
    # Only the engine port: anything else on the user address is dropped, not refused.
    assert clients["inside"].tcp(a, 22) == "dropped"


def test_access_update_swaps_served_and_refused_without_restarting_the_engine(
    plane: ControlPlane,
    demo: Tenant,
    pair: dict[str, dict[str, Any]],
    clients: dict[str, Client],
) -> None:
    instance_id, address = pair["a"]["id"], _user_address(pair["a"])
    engine_before = _engine_pid(plane, instance_id)
    outside = f"{clients['outside'].ip}/32"
    access = {"is_public": False, "allowed_cidrs": [outside]}
    r = plane.client.put(
        plane.url(demo, f"instances/{instance_id}"),
        json={"instance": {"access": access}},
        headers=demo.headers(),
    )
    assert r.status_code == 202, r.text
    _wait_for_rule(plane, instance_id, outside)

    assert clients["outside"].mysql(address, ENGINE_PORT, LOGIN) == "served"
    assert clients["inside"].mysql(address, ENGINE_PORT, LOGIN) == "dropped"
    assert _engine_pid(plane, instance_id) == engine_before, "the engine was restarted"
    doc = plane.wait_status(demo, instance_id, {"ACTIVE"})
    assert [rule["source"] for rule in doc["access"]["rules"]] == [outside]


def test_an_instance_cannot_reach_another_instances_agent(
    plane: ControlPlane, pair: dict[str, dict[str, Any]], local_run: LocalRun
) -> None:
    a_id, b_id = pair["a"]["id"], pair["b"]["id"]
    a_netns = HostLayout.from_settings(plane.settings).netns(a_id)
    a_mgmt, b_mgmt = _management_address(plane, a_id), _management_address(plane, b_id)
    # The control plane (the host's management address) is let in: the probe itself works.
    assert _host_tcp(b_mgmt, DEFAULT_AGENT_PORT, _host_address(local_run.management)) == (
        "connected"
    )
    # From inside instance A, over the management network and over the user network.
    assert probe_in(a_netns, b_mgmt, DEFAULT_AGENT_PORT, source=a_mgmt) == "dropped"
    assert probe_in(a_netns, _user_address(pair["b"]), DEFAULT_AGENT_PORT) == "dropped"
    # Nor B's engine through the management network.
    assert probe_in(a_netns, b_mgmt, ENGINE_PORT, source=a_mgmt) == "dropped"


def test_the_user_network_cannot_reach_the_management_network(
    plane: ControlPlane,
    pair: dict[str, dict[str, Any]],
    clients: dict[str, Client],
    local_run: LocalRun,
) -> None:
    client = clients["inside"]
    targets = [_management_address(plane, doc["id"]) for doc in pair.values()]
    for target in targets:
        assert client.tcp(target, DEFAULT_AGENT_PORT) == "unreachable"
    # A neighbour that routes the management /24 through the host gets no further.
    client.add_route(str(local_run.management), via=_host_address(local_run.public))
    for target in targets:
        for port in (DEFAULT_AGENT_PORT, ENGINE_PORT):
            assert client.tcp(target, port) in {"dropped", "unreachable"}, (target, port)


def test_agent_refuses_another_instances_server_certificate(
    plane: ControlPlane, pair: dict[str, dict[str, Any]]
) -> None:
    layout = HostLayout.from_settings(plane.settings)
    a_mgmt = _management_address(plane, pair["a"]["id"])
    pki = plane.settings.pki_dir()
    b_box = layout.sandbox_dir(pair["b"]["id"])

    control_plane = _context(pki / "ca.crt", (pki / "control-plane.crt", pki / "control-plane.key"))
    assert _status_line(control_plane, a_mgmt).startswith(b"HTTP/1.1 200")

    impostor = _context(pki / "ca.crt", (b_box / "agent.crt", b_box / "agent.key"))
    assert _status_line(impostor, a_mgmt) == b"", "B's server certificate acted as a client"


def _context(ca: Any, chain: tuple[Any, Any]) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca))
    context.check_hostname = False
    context.load_cert_chain(str(chain[0]), str(chain[1]))
    return context


def _status_line(context: ssl.SSLContext, address: str) -> bytes:
    """The first bytes the agent answers to GET status, b"" when it refused the session."""
    request = f"GET {PATH_STATUS} HTTP/1.1\r\nHost: agent\r\nConnection: close\r\n\r\n"
    try:
        with (
            socket.create_connection((address, DEFAULT_AGENT_PORT), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname=address) as tls,
        ):
            tls.sendall(request.encode())
            return tls.recv(64)
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return b""


def _host_address(network: IPv4Network) -> str:
    return str(next(network.hosts()))


def _host_tcp(address: str, port: int, source: str) -> str:
    try:
        with socket.create_connection((address, port), timeout=2, source_address=(source, 0)):
            return "connected"
    except ConnectionRefusedError:
        return "refused"
    except TimeoutError:
        return "dropped"


def test_admins_see_the_infrastructure_users_never_do(
    plane: ControlPlane, demo: Tenant, pair: dict[str, dict[str, Any]]
) -> None:
    admin = plane.tenant("admin", "root", "admin")
    layout = HostLayout.from_settings(plane.settings)
    for doc in pair.values():
        instance_id = doc["id"]
        r = plane.client.get(
            plane.url(admin, f"mgmt/instances/{instance_id}"), headers=admin.headers()
        )
        shown = r.json()["instance"]
        assert shown["server"]["id"] == layout.netns(instance_id)
        assert shown["volume"]["path"] == str(layout.image(instance_id))
        assert layout.image(instance_id).exists()
        management = _management_address(plane, instance_id)
        assert shown["management_address"] == management
        hidden = (management, layout.netns(instance_id), str(layout.state_dir))
        for path in ("", "/events", "/databases", "/users"):
            r = plane.client.get(
                plane.url(demo, f"instances/{instance_id}{path}"), headers=demo.headers()
            )
            assert r.status_code == 200 and not any(h in r.text for h in hidden), r.text


def test_the_host_itself_is_closed_to_sandboxes_and_neighbours(
    clients: dict[str, Client], local_run: LocalRun
) -> None:
    """A service of the host's that listens on a bridge address is not reachable from the
    networks: the host guard drops connections they open, while the host's own still work."""
    for network in (local_run.public, local_run.management):
        address = _host_address(network)
        with socket.socket() as server:
            server.bind((address, 0))
            server.listen()
            port = server.getsockname()[1]
            assert clients["inside"].tcp(address, port) in {"dropped", "unreachable"}
            with socket.create_connection((address, port), timeout=2):
                pass  # the host reaches itself
