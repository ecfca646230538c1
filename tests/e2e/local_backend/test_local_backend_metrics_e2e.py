"""Metrics of a real MariaDB instance on the local backend, through the API: after a user's
queries the series show statements per second, connections, memory and CPU of the sandbox
(read from its cgroup on the host) and network bytes of its veth; top queries list the
user's statement; Prometheus exposes the instance's latest sample."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pymysql
import pytest

from strongroom.monitoring.collector import MetricsCollector
from strongroom.worker.service import Worker
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.e2e

USER, PASSWORD = "app", "S3cret-pass"
CREATE = {
    "instance": {
        "name": "watched",
        "flavorRef": "sr.tiny",
        "volume": {"size": 1, "type": None},
        "datastore": {"type": "mariadb", "version": "10.11"},
        "databases": [{"name": "app"}],
        "users": [{"name": USER, "password": PASSWORD, "databases": [{"name": "app"}]}],
        "access": {"is_public": True},
    }
}
TIMEOUT = 180.0
NAMES = "connections,questions_total,memory_bytes,cpu_seconds_total,network_rx_bytes_total"


@pytest.fixture(scope="module")
def instance(plane: ControlPlane, worker: Worker, demo: Tenant) -> Iterator[dict[str, Any]]:
    r = plane.client.post(plane.url(demo, "instances"), json=CREATE, headers=demo.headers())
    assert r.status_code == 200, r.text
    instance_id = r.json()["instance"]["id"]
    try:
        doc = plane.wait_status(demo, instance_id, {"ACTIVE", "ERROR"}, timeout=TIMEOUT)
        assert doc["status"] == "ACTIVE", doc
        yield doc
    finally:
        plane.client.delete(plane.url(demo, f"instances/{instance_id}"), headers=demo.headers())
        plane.wait_status(demo, instance_id, {"DELETED", "ERROR"}, timeout=TIMEOUT)


def connect(doc: dict[str, Any]) -> pymysql.connections.Connection:
    address = doc["addresses"][0]["address"]
    return pymysql.connect(
        host=address, user=USER, password=PASSWORD, database="app", autocommit=True
    )


def test_metrics_and_top_queries_of_a_real_instance(
    instance: dict[str, Any], plane: ControlPlane, worker: Worker, demo: Tenant
) -> None:
    every_second = plane.settings.monitoring.model_copy(update={"collect_interval_seconds": 1.0})
    collector = MetricsCollector(plane.db, worker.drivers, every_second)
    started = time.time() - 5
    with connect(instance) as conn, conn.cursor() as cur:
        collector.run()
        cur.execute("CREATE TABLE items (id INT PRIMARY KEY, name TEXT)")
        for i in range(50):
            cur.execute("INSERT INTO items VALUES (%s, %s)", (i, f"item {i}"))
            cur.execute("SELECT name FROM items WHERE id = %s", (i,))
        time.sleep(1.1)
        collector.run()  # while the connection is open
    collector.run_top_queries()

    r = plane.client.get(
        plane.url(demo, f"instances/{instance['id']}/metrics"),
        headers=demo.headers(),
        params={"names": NAMES, "start": started, "step": 1},
    )
    assert r.status_code == 200, r.text
    points = {s["name"]: [v for _, v in s["points"]] for s in r.json()["metrics"]["series"]}
    assert max(points["questions_total"]) > 0  # statements per second
    assert max(points["connections"]) >= 1
    assert min(points["memory_bytes"]) > 0 and max(points["cpu_seconds_total"]) > 0
    assert max(points["network_rx_bytes_total"]) > 0

    r = plane.client.get(
        plane.url(demo, f"instances/{instance['id']}/top-queries"), headers=demo.headers()
    )
    queries = r.json()["top_queries"]["queries"]
    texts = [q["text"] for q in queries]
    mine = [q for q in queries if q["text"].startswith("SELECT") and "FROM `items`" in q["text"]]
    assert mine and mine[0]["calls"] == 50 and mine[0]["schema_name"] == "app", texts

    text = plane.client.get("/metrics").text
    exposed = [line for line in text.splitlines() if f'instance_id="{instance["id"]}"' in line]
    assert any(line.startswith("strongroom_instance_memory_bytes{") for line in exposed)
