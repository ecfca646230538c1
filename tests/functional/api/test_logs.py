"""Engine logs on fake drivers: listed with their type, USER logs switched through a job,
SYS logs always on, publishing refused until the backup object store exists."""

from __future__ import annotations

from typing import Any

import pytest

from tests.functional.api.day2_support import active_instance, count_jobs, engine, wait_idle
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.functional


def log(plane: ControlPlane, tenant: Tenant, iid: str, body: Any = None) -> Any:
    url = plane.url(tenant, f"instances/{iid}/log")
    if body is None:
        return plane.client.get(url, headers=tenant.headers())
    return plane.client.post(url, json=body, headers=tenant.headers())


def test_list_show_enable_disable_and_refusals(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    with plane.worker():
        iid = active_instance(plane, demo)
        listed = log(plane, demo, iid).json()["logs"]
        assert [(g["name"], g["type"], g["status"]) for g in listed] == [
            ("error", "SYS", "Enabled"),
            ("general", "USER", "Disabled"),
            ("slow_query", "USER", "Disabled"),
        ]
        r = log(plane, demo, iid, {"name": "slow_query", "enable": 1})
        assert r.status_code == 202 and r.json()["log"]["status"] == "Enabled"
        wait_idle(plane, iid)
        assert engine(plane, iid)["logs"]["slow_query"] is True
        shown = log(plane, demo, iid, {"name": "slow_query"}).json()["log"]
        assert shown["status"] == "Enabled" and shown["published"] == 0
        assert log(plane, demo, iid, {"name": "slow_query", "disable": 1}).status_code == 202
        wait_idle(plane, iid)
    assert engine(plane, iid)["logs"]["slow_query"] is False

    before = count_jobs(plane)
    for body, status in [
        ({"name": "error", "disable": 1}, 400),
        ({"name": "general", "publish": 1}, 400),
        ({"name": "general", "discard": 1}, 400),
        ({"name": "nope"}, 404),
        ({"name": "nope", "enable": 1}, 404),
        ({"name": "general", "enable": 1, "disable": 1}, 400),
        ({"enable": 1}, 400),
    ]:
        r = log(plane, demo, iid, body)
        assert r.status_code == status, (body, r.text)
    assert "object store" in log(plane, demo, iid, {"name": "general", "publish": 1}).text
    assert count_jobs(plane) == before
