"""A real MariaDB instance on this host through the Trove API: create, connect as the created
user from the host, refuse strangers at the agent, delete, and nothing of it is left."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Iterator
from typing import Any

import pymysql
import pytest
from local_backend_harness import LocalRun, inventory

from strongroom.contracts.agent import DEFAULT_AGENT_PORT
from strongroom.pki import CertificateAuthority
from strongroom.worker.service import Worker
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.e2e

USER, PASSWORD, DATABASE = "app", "S3cret-pass", "app"
CREATE = {
    "instance": {
        "name": "db1",
        "flavorRef": "sr.tiny",
        "volume": {"size": 1, "type": None},
        "datastore": {"type": "mariadb", "version": "10.11"},
        "databases": [{"name": DATABASE}],
        "users": [{"name": USER, "password": PASSWORD, "databases": [{"name": DATABASE}]}],
        "access": {"is_public": True},
    }
}
ACTIVE_TIMEOUT = 180.0


@pytest.fixture(scope="module")
def instance(plane: ControlPlane, worker: Worker, demo: Tenant) -> Iterator[dict[str, Any]]:
    """An ACTIVE instance (deleted at the end if a test did not delete it)."""
    started = time.monotonic()
    r = plane.client.post(plane.url(demo, "instances"), json=CREATE, headers=demo.headers())
    assert r.status_code == 200, r.text
    instance_id = r.json()["instance"]["id"]
    try:
        doc = plane.wait_status(demo, instance_id, {"ACTIVE", "ERROR"}, timeout=ACTIVE_TIMEOUT)
        doc["create_seconds"] = time.monotonic() - started
        yield doc
    finally:
        plane.client.delete(plane.url(demo, f"instances/{instance_id}"), headers=demo.headers())
        plane.wait_status(demo, instance_id, {"DELETED", "ERROR"}, timeout=ACTIVE_TIMEOUT)


def _address(doc: dict[str, Any], kind: str) -> str:
    return next(a["address"] for a in doc["addresses"] if a["type"] == kind)


def _management_address(plane: ControlPlane, instance_id: str) -> str:
    from strongroom.store import networks

    with plane.db.read() as s:
        return next(p.address for p in networks.ports_of(s, instance_id) if p.role == "management")


def test_create_gives_a_healthy_instance_the_user_can_use(
    instance: dict[str, Any], local_run: LocalRun
) -> None:
    assert instance["status"] == "ACTIVE", instance
    assert instance["operating_status"] == "HEALTHY"
    address = _address(instance, "public")
    assert ipaddress.ip_address(address) in local_run.public
    print(f"create -> ACTIVE in {instance['create_seconds']:.1f} s")

    conn = pymysql.connect(
        host=address, user=USER, password=PASSWORD, database=DATABASE, connect_timeout=5
    )
    with conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(64))")
        cur.execute("INSERT INTO notes VALUES (1, 'kept on the volume')")
        conn.commit()
        cur.execute("SELECT body FROM notes WHERE id = 1")
        assert cur.fetchone() == ("kept on the volume",)


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


def test_delete_leaves_nothing_on_the_host(
    instance: dict[str, Any], plane: ControlPlane, demo: Tenant, local_run: LocalRun
) -> None:
    assert inventory(local_run).instance_leftovers(), "the instance exists on the host"
    r = plane.client.delete(plane.url(demo, f"instances/{instance['id']}"), headers=demo.headers())
    assert r.status_code == 202, r.text
    plane.wait_status(demo, instance["id"], {"DELETED"}, timeout=ACTIVE_TIMEOUT)
    assert inventory(local_run).instance_leftovers() == {}
