"""A control plane restart leaves running instances alone: the agent and the engine live in
the sandbox, not in the worker, and a new control plane finds them healthy and reachable."""

from __future__ import annotations

import pymysql
import pytest
from local_backend_harness import LocalRun, inventory, local_settings

from strongroom.drivers.specs import GuestTarget
from strongroom.store import networks
from tests.support.controlplane import ControlPlane

pytestmark = pytest.mark.e2e

USER, PASSWORD = "app", "S3cret-pass"
CREATE = {
    "instance": {
        "name": "survivor",
        "flavorRef": "sr.tiny",
        "volume": {"size": 1},
        "datastore": {"type": "mariadb", "version": "10.11"},
        "databases": [{"name": "app"}],
        "users": [{"name": USER, "password": PASSWORD, "databases": [{"name": "app"}]}],
        "access": {"is_public": True},
    }
}
TIMEOUT = 180.0


def test_instance_stays_active_healthy_and_reachable_across_a_restart(
    local_run: LocalRun,
) -> None:
    settings = local_settings(local_run)
    first = ControlPlane(settings)
    demo = first.tenant("demo", "demo", "member")
    try:
        with first.worker():
            r = first.client.post(first.url(demo, "instances"), json=CREATE, headers=demo.headers())
            assert r.status_code == 200, r.text
            instance_id = r.json()["instance"]["id"]
            doc = first.wait_status(demo, instance_id, {"ACTIVE", "ERROR"}, timeout=TIMEOUT)
            assert doc["status"] == "ACTIVE", doc
    finally:
        first.close()

    second = ControlPlane(settings)
    demo = second.tenant("demo", "demo", "member")
    try:
        with second.worker() as worker:
            doc = second.wait_status(demo, instance_id, {"ACTIVE"}, timeout=5)
            assert doc["operating_status"] == "HEALTHY"
            with second.db.read() as s:
                ports = networks.ports_of(s, instance_id)
            management = next(p.address for p in ports if p.role == "management")
            health = worker.drivers.guest.health(GuestTarget(instance_id, management))
            assert health.reachable and health.engine_running, health
            assert health.engine_state == "running"
            assert health.volume_total_bytes and health.volume_used_bytes
            address = doc["addresses"][0]["address"]
            conn = pymysql.connect(host=address, user=USER, password=PASSWORD, database="app")
            with conn, conn.cursor() as cur:
                cur.execute("SELECT 1")
                assert cur.fetchone() == (1,)

            second.client.delete(
                second.url(demo, f"instances/{instance_id}"), headers=demo.headers()
            )
            second.wait_status(demo, instance_id, {"DELETED"}, timeout=TIMEOUT)
            assert inventory(local_run).instance_leftovers() == {}
            gone = worker.drivers.guest.health(GuestTarget(instance_id, management))
            assert not gone.reachable and not gone.engine_running
    finally:
        second.close()
