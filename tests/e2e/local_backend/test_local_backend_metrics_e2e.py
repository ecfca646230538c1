"""Metrics of a real instance of each datastore on the local backend, through the API: after
a user's queries the series show statements per second, connections, memory and CPU of the
sandbox (read from its cgroup on the host) and network bytes of its veth; top queries list the
user's statement; Prometheus exposes the instance's latest sample."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from local_backend_harness import PASSWORD, USER, create_body, created_instance

from strongroom.monitoring.collector import MetricsCollector
from strongroom.worker.service import Worker
from tests.support.controlplane import ControlPlane, Tenant
from tests.support.datastore_clients import DatastoreClient

pytestmark = pytest.mark.e2e

NAMES = "connections,memory_bytes,cpu_seconds_total,network_rx_bytes_total,buffer_hit_ratio"


@pytest.fixture(scope="module")
def instance(
    plane: ControlPlane, worker: Worker, demo: Tenant, datastore: DatastoreClient
) -> Iterator[dict[str, Any]]:
    with created_instance(plane, demo, create_body("watched", datastore=datastore)) as doc:
        yield doc


def test_metrics_and_top_queries_of_a_real_instance(
    instance: dict[str, Any],
    plane: ControlPlane,
    worker: Worker,
    demo: Tenant,
    datastore: DatastoreClient,
) -> None:
    every_second = plane.settings.monitoring.model_copy(update={"collect_interval_seconds": 1.0})
    collector = MetricsCollector(plane.db, worker.drivers, every_second)
    started = time.time() - 5
    address = instance["addresses"][0]["address"]
    with datastore.session(address, datastore.port, USER, PASSWORD, "app") as session:
        collector.run()
        session.query("CREATE TABLE items (id INT PRIMARY KEY, name TEXT)")
        for i in range(50):
            session.query("INSERT INTO items VALUES (%s, %s)", (i, f"item {i}"))
            session.query("SELECT name FROM items WHERE id = %s", (i,))
        time.sleep(1.1)
        collector.run()  # while the connection is open
    collector.run_top_queries()

    r = plane.client.get(
        plane.url(demo, f"instances/{instance['id']}/metrics"),
        headers=demo.headers(),
        params={"names": f"{NAMES},{datastore.statement_counter}", "start": started, "step": 1},
    )
    assert r.status_code == 200, r.text
    points = {s["name"]: [v for _, v in s["points"]] for s in r.json()["metrics"]["series"]}
    assert max(points[datastore.statement_counter]) > 0  # statements per second
    assert 0 < max(v for v in points["buffer_hit_ratio"] if v is not None) <= 1
    assert max(points["connections"]) >= 1
    assert min(points["memory_bytes"]) > 0 and max(points["cpu_seconds_total"]) > 0
    assert max(points["network_rx_bytes_total"]) > 0

    r = plane.client.get(
        plane.url(demo, f"instances/{instance['id']}/top-queries"), headers=demo.headers()
    )
    queries = r.json()["top_queries"]["queries"]
    texts = [q["text"] for q in queries]
    mine = [q for q in queries if q["text"].upper().startswith("SELECT NAME FROM")]
    assert mine and mine[0]["calls"] == 50 and mine[0]["schema_name"] == "app", texts

    text = plane.client.get("/metrics").text
    exposed = [line for line in text.splitlines() if f'instance_id="{instance["id"]}"' in line]
    assert any(line.startswith("strongroom_instance_memory_bytes{") for line in exposed)
