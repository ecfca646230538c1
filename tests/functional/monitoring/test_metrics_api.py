"""The metrics extension of the API: series of the caller's own instance (rates for
counters), top queries, 404 for another project, 400 for bad parameters, Prometheus
exposition with instance labels, OpenAPI documentation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from strongroom.store import metric_samples
from strongroom.store.database import utcnow
from tests.functional.monitoring.test_metrics_collector import active_instance, collector, sample
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.functional


def get(plane: ControlPlane, tenant: Tenant, path: str, **params: object) -> tuple[int, dict]:
    r = plane.client.get(plane.url(tenant, path), headers=tenant.headers(), params=params)
    return r.status_code, r.json()


def test_series_of_own_instance_and_nobody_elses(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    other = plane.tenant("other", "other", "member")
    instance_id = active_instance(plane, demo)
    now = utcnow()
    with plane.db.write() as s:  # 10 s apart: 100 questions/s, then 50/s; memory 1 MiB, 3 MiB
        for i, (questions, memory) in enumerate([(1000, 1), (2000, 3), (2500, 3)]):
            at = now - timedelta(seconds=25 - 10 * i)
            values = {"questions_total": float(questions), "memory_bytes": memory * 2.0**20}
            metric_samples.add(s, instance_id, at, values)
    start = (now - timedelta(seconds=20)).strftime("%Y-%m-%dT%H:%M:%S.%f")
    status, doc = get(
        plane,
        demo,
        f"instances/{instance_id}/metrics",
        names="questions_total,memory_bytes",
        start=start,
        step=30,
    )
    assert status == 200, doc
    series = {s["name"]: s for s in doc["metrics"]["series"]}
    questions, memory = series["questions_total"], series["memory_bytes"]
    assert questions["kind"] == "counter" and questions["unit"] == "statements/s"
    assert [round(v, 3) for _, v in questions["points"]] == [75.0]
    assert [v for _, v in memory["points"]] == [3 * 2.0**20]
    assert doc["metrics"]["step"] == 30

    status, doc = get(plane, other, f"instances/{instance_id}/metrics")
    assert status == 404 and "itemNotFound" in doc
    status, doc = get(plane, other, f"instances/{instance_id}/top-queries")
    assert status == 404


def test_default_series_after_the_collector_ran(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    instance_id = active_instance(plane, demo)
    duty = collector(plane)
    sample(duty)
    sample(duty)
    duty.run_top_queries()
    status, doc = get(plane, demo, f"instances/{instance_id}/metrics", step=1)
    assert status == 200
    names = {s["name"]: s["points"] for s in doc["metrics"]["series"]}
    assert names["memory_bytes"] and names["connections"] and names["questions_total"]
    assert all(v > 0 for _, v in names["questions_total"])
    status, doc = get(plane, demo, f"instances/{instance_id}/metrics", names="buffer_hit_ratio")
    ratio = doc["metrics"]["series"][0]
    assert ratio["unit"] == "ratio" and ratio["points"]
    assert all(round(v, 2) == 0.99 for _, v in ratio["points"])
    status, doc = get(plane, demo, f"instances/{instance_id}/top-queries")
    assert status == 200 and doc["top_queries"]["collected"]
    assert doc["top_queries"]["queries"][0]["calls"] > 0


BAD_PARAMETERS = [
    {"names": "no_such_metric"},
    {"start": "yesterday"},
    {"step": "0"},
    {"step": "nan"},
    {"step": "abc"},
    {"start": "2026-01-02T00:00:00", "end": "2026-01-01T00:00:00"},
    {"start": "0", "end": "86400000", "step": "1"},
]


def test_bad_parameters_are_400(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")  # parameters are checked before the instance
    for params in BAD_PARAMETERS:
        status, doc = get(plane, demo, "instances/any-instance/metrics", **params)
        assert status == 400 and doc["badRequest"]["message"], (params, doc)


def test_prometheus_exposes_latest_samples_with_labels(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    instance_id = active_instance(plane, demo)
    collector(plane).run()
    text = plane.client.get("/metrics").text
    labels = {"instance_id": instance_id, "project_id": demo.project_id, "datastore": "mariadb"}
    found = {
        sample.name: sample
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("strongroom_instance_") and sample.labels == labels
    }
    assert found["strongroom_instance_connections"].value == 3.0
    assert found["strongroom_instance_questions_total"].value > 0
    assert "# TYPE strongroom_instance_cpu_seconds_total counter" in text


def test_openapi_documents_the_extension(plane: ControlPlane) -> None:
    paths = plane.client.get("/openapi.json").json()["paths"]
    metrics = paths["/v1.0/{project_id}/instances/{instance_id}/metrics"]["get"]
    assert {p["name"] for p in metrics["parameters"]} >= {"names", "start", "end", "step"}
    assert "/v1.0/{project_id}/instances/{instance_id}/top-queries" in paths
