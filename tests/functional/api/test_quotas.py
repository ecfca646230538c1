"""Operators override a project's quotas; creates and `limit list` follow them."""

from __future__ import annotations

import pytest

from tests.functional.api.test_instance_lifecycle import CREATE
from tests.support.controlplane import ControlPlane

pytestmark = pytest.mark.functional


def test_quota_override_is_enforced_and_shown(plane: ControlPlane) -> None:
    admin = plane.tenant("admin", "admin", "admin")
    demo = plane.tenant("demo", "demo", "member")
    url = plane.url(admin, f"mgmt/quotas/{demo.project_id}")

    shown = plane.client.get(url, headers=admin.headers()).json()["quotas"]
    assert {q["resource"]: q["limit"] for q in shown}["instances"] == 10

    r = plane.client.put(url, json={"quotas": {"instances": 1}}, headers=admin.headers())
    assert r.status_code == 200, r.text
    assert r.json()["quotas"]["instances"] == 1

    first = plane.client.post(plane.url(demo, "instances"), json=CREATE, headers=demo.headers())
    assert first.status_code == 200
    second = plane.client.post(plane.url(demo, "instances"), json=CREATE, headers=demo.headers())
    assert second.status_code == 413 and "overLimit" in second.json()
    limits = plane.client.get(plane.url(demo, "limits"), headers=demo.headers()).json()
    absolute = limits["limits"][0]
    assert absolute["max_instances"] == 1 and absolute["instances_used"] == 1
    shown = plane.client.get(url, headers=admin.headers()).json()["quotas"]
    assert {q["resource"]: q["in_use"] for q in shown}["instances"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"quotas": {"widgets": 3}},
        {"quotas": {"instances": -2}},
        {"quotas": {"instances": "x"}},
        {"quotas": {}},
        {"nope": 1},
    ],
)
def test_bad_quota_updates_change_nothing(plane: ControlPlane, body: object) -> None:
    admin = plane.tenant("admin", "admin", "admin")
    url = plane.url(admin, "mgmt/quotas/some-project")
    r = plane.client.put(url, json=body, headers=admin.headers())
    assert r.status_code == 400 and "badRequest" in r.json(), r.text
    shown = plane.client.get(url, headers=admin.headers()).json()["quotas"]
    assert {q["resource"]: q["limit"] for q in shown}["instances"] == 10


def test_only_admins_manage_quotas(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    url = plane.url(demo, f"mgmt/quotas/{demo.project_id}")
    assert plane.client.get(url, headers=demo.headers()).status_code == 403
    r = plane.client.put(url, json={"quotas": {"instances": 99}}, headers=demo.headers())
    assert r.status_code == 403
