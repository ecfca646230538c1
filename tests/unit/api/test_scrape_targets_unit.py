"""Prometheus service discovery groups: where Prometheus reaches the API, path prefix
included, and the labels of each instance."""

from __future__ import annotations

import pytest

from strongroom.monitoring.scrape_targets import ScrapeTarget, http_sd_groups

pytestmark = pytest.mark.unit


def test_groups_follow_the_public_url_and_carry_the_instance_labels() -> None:
    targets = [ScrapeTarget("i-1", "p-1", "mariadb"), ScrapeTarget("i-2", "p-2", "postgresql")]
    first, second = http_sd_groups(targets, "https://db.example:8443/trove/")
    assert first == {
        "targets": ["db.example:8443"],
        "labels": {
            "__metrics_path__": "/trove/metrics/instances/i-1",
            "__scheme__": "https",
            "instance_id": "i-1",
            "project_id": "p-1",
            "datastore": "mariadb",
        },
    }
    assert second["labels"]["__metrics_path__"] == "/trove/metrics/instances/i-2"
    assert http_sd_groups([], "http://127.0.0.1:8779") == []
