"""Prometheus per instance: HTTP service discovery (admins only) pointing at each instance's
own exposition on the API, and a real Prometheus (Debian's) scraping `/metrics` and the
discovered targets, answering a PromQL query with an instance's connection count."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.functional.monitoring.test_metrics_collector import active_instance, collector
from tests.support import prometheus
from tests.support.controlplane import ControlPlane

pytestmark = pytest.mark.functional


def test_targets_are_for_admins_and_point_at_each_instance(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    admin = plane.tenant("ops", "root", "admin")
    instance_id = active_instance(plane, demo)
    collector(plane).run()

    r = plane.client.get(plane.url(demo, "mgmt/prometheus-targets"), headers=demo.headers())
    assert r.status_code == 403 and r.json()["forbidden"]["message"]
    r = plane.client.get(plane.url(admin, "mgmt/prometheus-targets"))
    assert r.status_code == 401
    bearer = {"Authorization": f"Bearer {admin.token}"}  # what Prometheus's http_sd sends
    r = plane.client.get(plane.url(admin, "mgmt/prometheus-targets"), headers=bearer)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    [group] = r.json()
    assert group["targets"] == ["testserver"]
    assert group["labels"] == {
        "__metrics_path__": f"/metrics/instances/{instance_id}",
        "__scheme__": "http",
        "instance_id": instance_id,
        "project_id": demo.project_id,
        "datastore": "mariadb",
    }

    r = plane.client.get(group["labels"]["__metrics_path__"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    found = {s.name: s for family in text_string_to_metric_families(r.text) for s in family.samples}
    connections = found["strongroom_instance_connections"]
    assert connections.value == 3.0
    assert connections.labels == {
        "instance_id": instance_id,
        "project_id": demo.project_id,
        "datastore": "mariadb",
    }
    assert found["strongroom_instance_questions_total"].value > 0
    assert "strongroom_jobs" not in r.text  # the control plane stays on /metrics

    r = plane.client.get("/metrics/instances/no-such-instance")
    assert r.status_code == 404 and "itemNotFound" in r.json()


@pytest.mark.skipif(not prometheus.available(), reason="Debian's prometheus is not installed")
@pytest.mark.parametrize("control_db_url", ["sqlite"], indirect=True)
def test_a_real_prometheus_scrapes_strongroom(plane: ControlPlane, tmp_path: Path) -> None:
    demo = plane.tenant("demo", "demo", "member")
    admin = plane.tenant("ops", "root", "admin")
    instance_id = active_instance(plane, demo)
    collector(plane).run()
    token_file = tmp_path / "sd-token"
    token_file.write_text(admin.token)
    with prometheus.serving_api(plane) as api:
        address = api.removeprefix("http://")
        scrape_configs = [
            {"job_name": "strongroom", "static_configs": [{"targets": [address]}]},
            {
                "job_name": "strongroom-instances",
                "honor_labels": True,
                "http_sd_configs": [
                    {
                        "url": f"{api}/v1.0/{admin.project_id}/mgmt/prometheus-targets",
                        "refresh_interval": "1s",
                        "authorization": {"type": "Bearer", "credentials_file": str(token_file)},
                    }
                ],
            },
        ]
        with prometheus.running_prometheus(tmp_path / "prometheus", scrape_configs) as prom:
            selector = f'instance_id="{instance_id}"'
            per_instance = prom.wait_for(
                f'strongroom_instance_connections{{job="strongroom-instances",{selector}}}'
            )
            everything = prom.wait_for(
                f'strongroom_instance_connections{{job="strongroom",{selector}}}'
            )
            up = prom.wait_for(f'up{{job="strongroom-instances",{selector}}}')
    for result in (per_instance, everything):
        [series] = result
        assert series["metric"]["instance_id"] == instance_id
        assert series["metric"]["project_id"] == demo.project_id
        assert series["metric"]["datastore"] == "mariadb"
        assert float(series["value"][1]) == 3.0
    [target] = up
    assert target["value"][1] == "1"
