"""A real MariaDB instance on the local backend, the operator's way and the user's: a real
Prometheus (Debian's) discovers it through the API and reads its open connections; top
queries within a range count exactly the statements a user ran in that range."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymysql
import pytest
from local_backend_harness import PASSWORD, USER, create_body, created_instance

from strongroom.monitoring.collector import MetricsCollector
from strongroom.worker.service import Worker
from tests.support import prometheus
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.e2e

CREATE = create_body("scraped")


@pytest.fixture(scope="module")
def instance(plane: ControlPlane, worker: Worker, demo: Tenant) -> Iterator[dict[str, Any]]:
    with created_instance(plane, demo, CREATE) as doc:
        yield doc


def login(instance: dict[str, Any]) -> pymysql.connections.Connection:
    return pymysql.connect(
        host=instance["addresses"][0]["address"],
        port=3306,
        user=USER,
        password=PASSWORD,
        database="app",
        autocommit=True,
        connect_timeout=10,
    )


def collector(plane: ControlPlane, worker: Worker) -> MetricsCollector:
    every_second = plane.settings.monitoring.model_copy(update={"collect_interval_seconds": 1.0})
    return MetricsCollector(plane.db, worker.drivers, every_second)


def test_top_queries_within_a_range_count_the_users_statements(
    instance: dict[str, Any], plane: ControlPlane, worker: Worker, demo: Tenant
) -> None:
    duty = collector(plane, worker)
    with login(instance) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE ranged (id INT PRIMARY KEY, name TEXT)")
        cur.executemany("INSERT INTO ranged VALUES (%s, %s)", [(i, f"n{i}") for i in range(5)])
        cur.execute("SELECT name FROM ranged WHERE id = %s", (0,))  # in the first snapshot
        duty.run_top_queries()
        start = time.time()
        for i in range(25):
            cur.execute("SELECT name FROM ranged WHERE id = %s", (i % 5,))
        duty.run_top_queries()
    r = plane.client.get(
        plane.url(demo, f"instances/{instance['id']}/top-queries"),
        headers=demo.headers(),
        params={"start": start},
    )
    assert r.status_code == 200, r.text
    found = [q for q in r.json()["top_queries"]["queries"] if "`ranged` WHERE" in q["text"]]
    assert len(found) == 1, r.json()
    assert (found[0]["calls"], found[0]["rows_sent"]) == (25, 25)
    assert found[0]["total_time_ms"] > 0 and found[0]["mean_time_ms"] > 0


@pytest.mark.skipif(not prometheus.available(), reason="Debian's prometheus is not installed")
def test_a_real_prometheus_reads_the_instances_connections(
    instance: dict[str, Any], plane: ControlPlane, worker: Worker, demo: Tenant, tmp_path: Path
) -> None:
    admin = plane.tenant("ops", "root", "admin")
    token_file = tmp_path / "sd-token"
    token_file.write_text(admin.token)
    instance_id = instance["id"]
    with login(instance), login(instance), prometheus.serving_api(plane) as api:
        time.sleep(0.6)  # past a sample the worker's own duty may just have taken
        collector(plane, worker).run()  # while both user sessions are open
        sd = {
            "url": f"{api}/v1.0/{admin.project_id}/mgmt/prometheus-targets",
            "refresh_interval": "1s",
            "authorization": {"type": "Bearer", "credentials_file": str(token_file)},
        }
        job = {"job_name": "instances", "honor_labels": True, "http_sd_configs": [sd]}
        with prometheus.running_prometheus(tmp_path / "prometheus", [job]) as prom:
            [series] = prom.wait_for(
                f'strongroom_instance_connections{{job="instances",instance_id="{instance_id}"}}'
            )
    assert series["metric"]["project_id"] == demo.project_id
    assert series["metric"]["datastore"] == "mariadb"
    assert float(series["value"][1]) >= 2
