"""A real instance of each datastore on this host through the Trove API: create, connect as
the created user from the host with the datastore's own driver, refuse strangers at the agent,
delete, and nothing of it is left."""

from __future__ import annotations

import copy
import ipaddress
import os
import signal
import socket
import ssl
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from local_backend_harness import PASSWORD, USER, LocalRun, create_body, created_instance, inventory

from strongroom.contracts.agent import DEFAULT_AGENT_PORT
from strongroom.drivers.linux import cgroups, processes
from strongroom.drivers.local_layout import HostLayout
from strongroom.drivers.specs import PortSpec, SandboxSpec
from strongroom.pki import CertificateAuthority
from strongroom.store import networks
from strongroom.worker.health import HealthManager
from strongroom.worker.reconciler import Reconciler
from strongroom.worker.service import Worker
from tests.support.controlplane import ControlPlane, Tenant
from tests.support.datastore_clients import DatastoreClient

pytestmark = pytest.mark.e2e

DATABASE = "app"
CREATE = create_body("db1", DATABASE)
ACTIVE_TIMEOUT = 180.0
ENGINE_PORT = 3306


@pytest.fixture(scope="module")
def instance(
    plane: ControlPlane, worker: Worker, demo: Tenant, datastore: DatastoreClient
) -> Iterator[dict[str, Any]]:
    """An ACTIVE instance of `datastore` (deleted at the end if a test did not delete it)."""
    started = time.monotonic()
    body = create_body("db1", DATABASE, datastore)
    with created_instance(plane, demo, body, require_active=False) as doc:
        doc["create_seconds"] = time.monotonic() - started
        yield doc


def _address(doc: dict[str, Any], kind: str) -> str:
    """The reported address of `kind` ("public" or "private")."""
    return next(a["address"] for a in doc["addresses"] if a["type"] == kind)


def _management_address(plane: ControlPlane, instance_id: str) -> str:
    with plane.db.read() as s:
        return next(p.address for p in networks.ports_of(s, instance_id) if p.role == "management")


def test_create_gives_a_healthy_instance_the_user_can_use(
    instance: dict[str, Any], plane: ControlPlane, local_run: LocalRun, datastore: DatastoreClient
) -> None:
    assert instance["status"] == "ACTIVE", instance
    assert instance["operating_status"] == "HEALTHY"
    address = _address(instance, "public")
    assert ipaddress.ip_address(address) in local_run.public
    print(f"{datastore.name} create -> ACTIVE in {instance['create_seconds']:.1f} s")

    layout = HostLayout.from_settings(plane.settings)
    limits = cgroups.read_limits(layout.cgroup(instance["id"]))
    assert limits.memory_bytes == 512 * 1024 * 1024 and limits.vcpus == 1.0  # sr.tiny
    assert len(cgroups.group_pids(layout.cgroup(instance["id"]))) >= 2  # agent and engine
    mountpoint = layout.mountpoint(instance["id"])
    assert os.path.ismount(mountpoint) and (mountpoint / datastore.data_subdir).is_dir()
    agent = processes.read_pidfile(layout.sandbox_dir(instance["id"]) / "agent.pid")
    environ = Path(f"/proc/{agent}/environ").read_bytes().split(b"\0")
    assert {e.split(b"=")[0] for e in environ if e} == {b"PATH", b"LANG"}  # nothing of ours

    with datastore.session(address, datastore.port, USER, PASSWORD, DATABASE) as session:
        session.query("CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(64))")
        session.query("INSERT INTO notes VALUES (1, 'kept on the volume')")
        assert session.one("SELECT body FROM notes WHERE id = 1") == ("kept on the volume",)
    assert datastore.refusal(address, datastore.port, USER, "wrong-password", DATABASE)


def test_health_manager_sees_the_engine_and_the_volume_usage(
    instance: dict[str, Any], plane: ControlPlane, worker: Worker, demo: Tenant
) -> None:
    HealthManager(plane.db, worker.drivers).run()
    r = plane.client.get(plane.url(demo, f"instances/{instance['id']}"), headers=demo.headers())
    doc = r.json()["instance"]
    assert doc["operating_status"] == "HEALTHY"
    assert 0 < doc["volume"]["used"] < doc["volume"]["size"]


def test_a_crashed_engine_is_started_again_by_the_agent_and_said_in_events(
    instance: dict[str, Any],
    plane: ControlPlane,
    worker: Worker,
    demo: Tenant,
    datastore: DatastoreClient,
) -> None:
    layout = HostLayout.from_settings(plane.settings)
    pidfile = layout.sandbox_dir(instance["id"]) / "run" / datastore.pidfile
    crashed = processes.read_pidfile(pidfile)
    assert crashed is not None
    os.kill(crashed, signal.SIGKILL)
    url = plane.url(demo, f"instances/{instance['id']}/events")
    deadline = time.monotonic() + 60
    while True:
        HealthManager(plane.db, worker.drivers).run()
        kinds = [e["kind"] for e in plane.client.get(url, headers=demo.headers()).json()["events"]]
        if "engine restart" in kinds:
            break
        assert time.monotonic() < deadline, "no engine restart event"
        time.sleep(0.5)
    assert processes.read_pidfile(pidfile) not in (None, crashed)
    address = _address(instance, "public")
    with datastore.session(address, datastore.port, USER, PASSWORD, DATABASE) as session:
        assert session.one("SELECT body FROM notes WHERE id = 1") == ("kept on the volume",)


def test_agent_refuses_a_client_without_the_control_planes_certificate(
    instance: dict[str, Any], plane: ControlPlane, local_run: LocalRun
) -> None:
    address = _management_address(plane, instance["id"])
    ca_cert = plane.settings.pki_dir() / "ca.crt"

    # Trusts the agent, presents no certificate.
    anonymous = ssl.create_default_context(cafile=str(ca_cert))
    anonymous.check_hostname = False
    assert _handshake_refused(anonymous, address)

    # Presents a certificate from another CA.
    stranger_ca = CertificateAuthority.load_or_create(local_run.state_dir / "stranger")
    stranger = stranger_ca.ensure_client_certificate(local_run.state_dir / "stranger")
    impostor = ssl.create_default_context(cafile=str(ca_cert))
    impostor.check_hostname = False
    impostor.load_cert_chain(str(stranger.cert), str(stranger.key))
    assert _handshake_refused(impostor, address)


def _handshake_refused(context: ssl.SSLContext, address: str) -> bool:
    """Whether the agent refuses the TLS session (TLS 1.3 reports it on the first read)."""
    try:
        with (
            socket.create_connection((address, DEFAULT_AGENT_PORT), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname=address) as tls,
        ):
            tls.sendall(b"GET /v1/status HTTP/1.1\r\nHost: agent\r\n\r\n")
            return tls.recv(1024) == b""
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return True


def test_agent_port_is_open_only_to_the_control_plane_address(
    instance: dict[str, Any], plane: ControlPlane, local_run: LocalRun
) -> None:
    address = _management_address(plane, instance["id"])
    assert _tcp(address, DEFAULT_AGENT_PORT, _host_address(local_run.management)) == "connected"
    assert _tcp(address, DEFAULT_AGENT_PORT, _host_address(local_run.public)) == "dropped"


def test_private_instance_accepts_only_its_allowed_cidrs(
    plane: ControlPlane, worker: Worker, demo: Tenant, local_run: LocalRun
) -> None:
    allowed = _host_address(local_run.public)
    body = copy.deepcopy(CREATE)
    body["instance"]["name"] = "private"
    body["instance"]["access"] = {"is_public": False, "allowed_cidrs": [f"{allowed}/32"]}
    r = plane.client.post(plane.url(demo, "instances"), json=body, headers=demo.headers())
    assert r.status_code == 200, r.text
    instance_id = r.json()["instance"]["id"]
    try:
        doc = plane.wait_status(demo, instance_id, {"ACTIVE", "ERROR"}, timeout=ACTIVE_TIMEOUT)
        assert doc["status"] == "ACTIVE", doc
        address = _address(doc, "private")
        assert ipaddress.ip_address(address) in local_run.public
        assert _tcp(address, ENGINE_PORT, allowed) == "connected"
        assert _tcp(address, ENGINE_PORT, _host_address(local_run.management)) == "dropped"
    finally:
        plane.client.delete(plane.url(demo, f"instances/{instance_id}"), headers=demo.headers())
        plane.wait_status(demo, instance_id, {"DELETED"}, timeout=ACTIVE_TIMEOUT)


def test_a_create_the_engine_refuses_ends_in_error_with_a_readable_fault_and_no_leftovers(
    plane: ControlPlane, worker: Worker, demo: Tenant, local_run: LocalRun
) -> None:
    before = inventory(local_run).instance_leftovers()
    body = copy.deepcopy(CREATE)
    body["instance"]["name"] = "refused"
    body["instance"]["databases"] = [{"name": "app", "character_set": "nosuchcharset"}]
    r = plane.client.post(plane.url(demo, "instances"), json=body, headers=demo.headers())
    assert r.status_code == 200, r.text
    instance_id = r.json()["instance"]["id"]
    try:
        doc = plane.wait_status(demo, instance_id, {"ACTIVE", "ERROR"}, timeout=ACTIVE_TIMEOUT)
        assert doc["status"] == "ERROR", doc
        assert "could not be created" in doc["fault"]["message"]
        assert "nosuchcharset" in doc["fault"]["message"]
        assert inventory(local_run).instance_leftovers() == before  # all rolled back
    finally:
        plane.client.delete(plane.url(demo, f"instances/{instance_id}"), headers=demo.headers())
        plane.wait_status(demo, instance_id, {"DELETED"}, timeout=ACTIVE_TIMEOUT)


def test_deleting_an_instance_frees_its_volume_while_a_later_one_runs(
    plane: ControlPlane, worker: Worker, demo: Tenant, local_run: LocalRun
) -> None:
    """A later sandbox's mount namespace must not keep an earlier instance's volume busy."""
    first, second = (_create(plane, demo, name) for name in ("earlier", "later"))
    try:
        _delete(plane, demo, first)
        image = HostLayout.from_settings(plane.settings).image(first)
        left = inventory(local_run)
        assert not [d for d in left.loops if str(image) in d], left
        assert not [m for m in left.mounts if first in m], left
        assert not image.exists()
    finally:
        for instance_id in (first, second):
            _delete(plane, demo, instance_id)


def _create(plane: ControlPlane, demo: Tenant, name: str) -> str:
    body = copy.deepcopy(CREATE)
    body["instance"]["name"] = name
    r = plane.client.post(plane.url(demo, "instances"), json=body, headers=demo.headers())
    assert r.status_code == 200, r.text
    instance_id = str(r.json()["instance"]["id"])
    doc = plane.wait_status(demo, instance_id, {"ACTIVE", "ERROR"}, timeout=ACTIVE_TIMEOUT)
    assert doc["status"] == "ACTIVE", doc
    return instance_id


def _delete(plane: ControlPlane, demo: Tenant, instance_id: str) -> None:
    plane.client.delete(plane.url(demo, f"instances/{instance_id}"), headers=demo.headers())
    plane.wait_status(demo, instance_id, {"DELETED"}, timeout=ACTIVE_TIMEOUT)


def _host_address(network: ipaddress.IPv4Network) -> str:
    return str(next(network.hosts()))


def _tcp(address: str, port: int, source: str) -> str:
    """Connect from the host's `source` address: connected, refused or dropped (timeout)."""
    try:
        with socket.create_connection((address, port), timeout=1.5, source_address=(source, 0)):
            return "connected"
    except ConnectionRefusedError:
        return "refused"
    except TimeoutError:
        return "dropped"


def test_delete_leaves_nothing_on_the_host(
    instance: dict[str, Any], plane: ControlPlane, demo: Tenant, local_run: LocalRun
) -> None:
    assert inventory(local_run).instance_leftovers(), "the instance exists on the host"
    r = plane.client.delete(plane.url(demo, f"instances/{instance['id']}"), headers=demo.headers())
    assert r.status_code == 202, r.text
    plane.wait_status(demo, instance["id"], {"DELETED"}, timeout=ACTIVE_TIMEOUT)
    assert inventory(local_run).instance_leftovers() == {}


def test_reconciler_removes_what_has_no_record(
    plane: ControlPlane, worker: Worker, local_run: LocalRun
) -> None:
    before = inventory(local_run).instance_leftovers()  # another test's instance may run
    orphan = str(uuid.uuid4())
    drivers = worker.drivers
    spec = SandboxSpec(
        orphan,
        ram_mb=512,
        vcpus=1,
        ports=(
            PortSpec("management", "management", str(local_run.management[200]), 24),
            PortSpec("user", "public", str(local_run.public[200]), 24),
        ),
    )
    for _ in range(2):  # every operation is idempotent
        drivers.compute.create_sandbox(spec)
        drivers.network.plug(spec)
        drivers.volume.create(orphan, 1)
        drivers.network.apply_firewall(orphan, ())
    layout = HostLayout.from_settings(plane.settings)
    processes.start(  # an engine left running in the sandbox
        processes.ProcessSpec(
            argv=("sh", "-c", f"sleep 600; : {orphan}"),
            pidfile=layout.sandbox_dir(orphan) / "engine.pid",
            logfile=layout.sandbox_dir(orphan) / "engine.log",
            marker=orphan,
            netns=layout.netns(orphan),
            cgroup=layout.cgroup(orphan),
        )
    )
    assert orphan in drivers.compute.list_sandboxes()
    assert orphan in drivers.network.list_plugged()
    assert orphan in drivers.volume.list_volumes()

    reconciler = Reconciler(plane.db, drivers)
    assert reconciler.orphans() == {orphan}
    reconciler.run()
    assert inventory(local_run).instance_leftovers() == before
    assert reconciler.orphans() == set()
