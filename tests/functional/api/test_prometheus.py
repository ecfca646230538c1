"""`GET /metrics` tells an operator what the control plane is doing."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from tests.functional.api.test_instance_lifecycle import CREATE
from tests.support.controlplane import ControlPlane, make_settings

pytestmark = pytest.mark.functional


def samples(plane: ControlPlane) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = plane.client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def test_jobs_instances_and_heartbeats_are_exposed(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    r = plane.client.post(plane.url(demo, "instances"), json=CREATE, headers=demo.headers())
    instance_id = r.json()["instance"]["id"]
    before = samples(plane)
    assert before[("strongroom_jobs", (("state", "pending"), ("workflow", "create_instance")))] == 1
    assert before[("strongroom_jobs_unfinished", ())] == 1
    assert before[("strongroom_instances_stuck_in_build", ())] == 0
    with plane.worker():
        plane.wait_status(demo, instance_id, {"ACTIVE"})
    after = samples(plane)
    assert (
        after[("strongroom_jobs", (("state", "succeeded"), ("workflow", "create_instance")))] == 1
    )
    assert after[("strongroom_job_duration_seconds_count", (("workflow", "create_instance"),))] == 1
    key = (
        "strongroom_instances",
        (("datastore", "mariadb"), ("operating_status", "HEALTHY"), ("status", "ACTIVE")),
    )
    assert after[key] == 1
    age = [
        v
        for (name, labels), v in after.items()
        if name == "strongroom_instance_health_age_seconds"
        and ("instance_id", instance_id) in labels
    ]
    assert len(age) == 1 and 0 <= age[0] < 60
    assert "S3cret-pass" not in plane.client.get("/metrics").text


def test_a_scrape_token_guards_the_expositions(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "state", f"sqlite:///{tmp_path / 'control.db'}")
    monitoring = settings.monitoring.model_copy(
        update={"scrape_token": SecretStr("scrape-s3cret-token")}
    )
    plane = ControlPlane(settings.model_copy(update={"monitoring": monitoring}))
    try:
        demo = plane.tenant("demo", "demo", "member")
        r = plane.client.post(plane.url(demo, "instances"), json=CREATE, headers=demo.headers())
        instance_id = r.json()["instance"]["id"]
        for path in ("/metrics", f"/metrics/instances/{instance_id}"):
            refused = plane.client.get(path)
            assert refused.status_code == 401 and "unauthorized" in refused.json(), path
            wrong = {"Authorization": "Bearer not-the-token"}
            assert plane.client.get(path, headers=wrong).status_code == 401
            right = {"Authorization": "Bearer scrape-s3cret-token"}
            assert plane.client.get(path, headers=right).status_code in (200, 404), path
        ok = plane.client.get("/metrics", headers={"Authorization": "Bearer scrape-s3cret-token"})
        assert ok.status_code == 200 and "strongroom_jobs" in ok.text
    finally:
        plane.close()
