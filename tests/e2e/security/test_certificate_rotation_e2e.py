"""Certificate rotation on the real local backend: the duty re-issues an agent's server
certificate (short validity) and the control plane's client certificate before expiry, the
agent restarts alone (mariadbd keeps its pid and its clients), and /metrics shows the expiry."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pymysql
import pytest
from cryptography import x509
from sqlalchemy import select

from strongroom.config.certificates import CertificateSettings
from strongroom.drivers.agent_handover import served_certificate
from strongroom.drivers.linux import processes
from strongroom.drivers.local_layout import HostLayout
from strongroom.drivers.specs import GuestTarget
from strongroom.pki import CertificatePaths
from strongroom.store import networks
from strongroom.store.models import Event, Job
from strongroom.worker.certificate_rotation import CertificateRotation
from strongroom.worker.health import HealthManager
from strongroom.worker.service import Worker
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.e2e

LOGIN = ("app", "S3cret-pass", "app")
TIMEOUT = 180.0


@pytest.fixture(scope="module")
def instance(plane: ControlPlane, worker: Worker, demo: Tenant) -> Iterator[dict[str, Any]]:
    user, password, database = LOGIN
    body = {
        "instance": {
            "name": "rotating",
            "flavorRef": "sr.tiny",
            "volume": {"size": 1},
            "datastore": {"type": "mariadb", "version": "10.11"},
            "databases": [{"name": database}],
            "users": [{"name": user, "password": password, "databases": [{"name": database}]}],
            "access": {"is_public": True},
        }
    }
    r = plane.client.post(plane.url(demo, "instances"), json=body, headers=demo.headers())
    assert r.status_code == 200, r.text
    instance_id = r.json()["instance"]["id"]
    try:
        doc = plane.wait_status(demo, instance_id, {"ACTIVE", "ERROR"}, TIMEOUT)
        assert doc["status"] == "ACTIVE", doc
        yield doc
    finally:
        plane.client.delete(plane.url(demo, f"instances/{instance_id}"), headers=demo.headers())
        plane.wait_status(demo, instance_id, {"DELETED", "ERROR"}, TIMEOUT)


def _target(plane: ControlPlane, instance_id: str) -> GuestTarget:
    with plane.db.read() as s:
        ports = networks.ports_of(s, instance_id)
    return GuestTarget(instance_id, next(p.address for p in ports if p.role == "management"))


def _client(plane: ControlPlane) -> CertificatePaths:
    pki = plane.settings.pki_dir()
    return CertificatePaths(pki / "control-plane.crt", pki / "control-plane.key")


def _served(plane: ControlPlane, instance_id: str) -> x509.Certificate:
    pem = served_certificate(plane.settings, _target(plane, instance_id), _client(plane))
    assert pem is not None, "the agent did not answer"
    return x509.load_pem_x509_certificate(pem)


def _engine_pid(plane: ControlPlane, instance_id: str) -> int:
    netns = HostLayout.from_settings(plane.settings).netns(instance_id)
    found = [
        p for p in processes.netns_pids(netns) if "mariadbd" in " ".join(processes.cmdline(p) or [])
    ]
    assert len(found) == 1, found
    return found[0]


def _wait_rotation_job(plane: ControlPlane, instance_id: str) -> Job:
    deadline = time.monotonic() + 90
    while True:
        with plane.db.read() as s:
            job = s.scalars(
                select(Job).where(
                    Job.resource_id == instance_id, Job.workflow == "rotate_agent_certificate"
                )
            ).first()
        if job is not None and job.state in ("succeeded", "failed"):
            return job
        assert time.monotonic() < deadline, "the rotation job never finished"
        time.sleep(0.2)


def _rotation(plane: ControlPlane, worker: Worker, renew_before_days: float) -> CertificateRotation:
    policy = CertificateSettings(agent_valid_days=1, renew_before_days=renew_before_days)
    settings = plane.settings.model_copy(update={"certificates": policy})
    return CertificateRotation(settings, worker.db, worker.queue)


def test_rotation_reissues_certificates_without_restarting_the_engine(
    plane: ControlPlane,
    worker: Worker,
    demo: Tenant,
    instance: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    instance_id, address = instance["id"], instance["addresses"][0]["address"]
    engine_before = _engine_pid(plane, instance_id)
    served_before = _served(plane, instance_id)
    client_before = x509.load_pem_x509_certificate(_client(plane).cert.read_bytes())
    conn = pymysql.connect(host=address, user=LOGIN[0], password=LOGIN[1], database=LOGIN[2])

    # Not due yet (825 days left, threshold 30): nothing is queued.
    assert _rotation(plane, worker, 30).rotate() == []
    # Everything is due with a threshold beyond the current validity.
    assert _rotation(plane, worker, 900).rotate() == [instance_id]
    job = _wait_rotation_job(plane, instance_id)
    assert job.state == "succeeded", job.error_message

    served_after = _served(plane, instance_id)
    assert served_after.serial_number != served_before.serial_number
    left = served_after.not_valid_after_utc - datetime.now(UTC)
    assert timedelta(hours=23) < left <= timedelta(days=1), left
    client_after = x509.load_pem_x509_certificate(_client(plane).cert.read_bytes())
    assert client_after.serial_number != client_before.serial_number, "client cert renewed"

    assert _engine_pid(plane, instance_id) == engine_before, "the engine was restarted"
    with conn, conn.cursor() as cur:  # a session opened before the rotation still works
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
    HealthManager(plane.db, worker.drivers).run()  # new client cert <-> new server cert
    doc = plane.wait_status(demo, instance_id, {"ACTIVE"})
    assert doc["operating_status"] == "HEALTHY"

    metrics = plane.client.get("/metrics").text
    name = "strongroom_agent_certificate_expiry_timestamp_seconds"
    pattern = rf'{name}{{instance_id="{instance_id}"}} (\S+)'
    found = re.search(pattern, metrics)
    assert found is not None, metrics[-2000:]
    assert abs(float(found.group(1)) - served_after.not_valid_after_utc.timestamp()) < 1
    assert 'certificate="control-plane"' in metrics

    admin = plane.tenant("admin", "root", "admin")
    shown = plane.client.get(
        plane.url(admin, f"mgmt/instances/{instance_id}"), headers=admin.headers()
    ).json()["instance"]
    expected = served_after.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%S")
    assert shown["agent"]["certificate_expires"] == expected

    # With one day left and a half-day threshold, nothing is due.
    assert _rotation(plane, worker, 0.5).rotate() == []

    with plane.db.read() as s:
        records = [repr((j.payload, j.context, j.error_message)) for j in s.scalars(select(Job))]
        records += [e.message for e in s.scalars(select(Event))]
    for text in [*records, caplog.text, metrics]:
        assert "PRIVATE KEY" not in text and LOGIN[1] not in text
    key = HostLayout.from_settings(plane.settings).sandbox_dir(instance_id) / "agent.key"
    assert key.stat().st_mode & 0o777 == 0o600
