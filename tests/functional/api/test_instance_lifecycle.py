"""Create, list, show, rename and delete an instance through the API, on the fake drivers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from strongroom.store.models import Job
from tests.support.controlplane import ControlPlane

pytestmark = pytest.mark.functional

CREATE = {
    "instance": {
        "name": "db1",
        "flavorRef": "sr.small",
        "volume": {"size": 1, "type": None},
        "datastore": {"type": "mariadb", "version": "10.11"},
        "databases": [{"name": "app"}],
        "users": [{"name": "app", "password": "S3cret-pass", "databases": [{"name": "app"}]}],
        "access": {"is_public": True},
    }
}


def fake_resources(plane: ControlPlane, instance_id: str) -> list[str]:
    root = plane.settings.state_dir / "fake"
    return sorted(str(p.relative_to(root)) for p in root.glob(f"*/{instance_id}.json"))


def test_create_becomes_active_and_delete_leaves_nothing(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    r = plane.client.post(plane.url(demo, "instances"), json=CREATE, headers=demo.headers())
    assert r.status_code == 200, r.text
    created = r.json()["instance"]
    assert created["status"] == "BUILD"
    assert created["access"]["is_public"] is True
    assert created["access"]["allowed_cidrs"] == []
    assert "S3cret-pass" not in r.text
    assert r.headers["x-openstack-request-id"].startswith("req-")
    with plane.db.read() as s:
        stored = [repr(j.payload) + (j.sealed_secrets or "") for j in s.scalars(select(Job))]
    assert stored and not any("S3cret-pass" in row for row in stored), "job secrets are sealed"

    with plane.worker():
        doc = plane.wait_status(demo, created["id"], {"ACTIVE", "ERROR"})
        assert doc["status"] == "ACTIVE", doc
        assert doc["operating_status"] == "HEALTHY"
        assert doc["addresses"][0]["type"] == "public"
        assert doc["addresses"][0]["address"].startswith("198.18.1.")
        assert fake_resources(plane, created["id"])

        listed = plane.client.get(plane.url(demo, "instances"), headers=demo.headers()).json()
        assert [i["id"] for i in listed["instances"]] == [created["id"]]

        r = plane.client.put(
            plane.url(demo, f"instances/{created['id']}"),
            json={"instance": {"name": "db-renamed"}},
            headers=demo.headers(),
        )
        assert r.status_code == 202
        shown = plane.client.get(
            plane.url(demo, f"instances/{created['id']}"), headers=demo.headers()
        )
        assert shown.json()["instance"]["name"] == "db-renamed"

        r = plane.client.delete(
            plane.url(demo, f"instances/{created['id']}"), headers=demo.headers()
        )
        assert r.status_code == 202
        plane.wait_status(demo, created["id"], {"DELETED"})

    assert fake_resources(plane, created["id"]) == []
    listed = plane.client.get(plane.url(demo, "instances"), headers=demo.headers()).json()
    assert listed["instances"] == []


def test_failed_create_rolls_back_to_error_with_a_readable_fault(plane: ControlPlane) -> None:
    from strongroom.config.settings import FakeDriverSettings

    plane.settings = plane.settings.model_copy(
        update={
            "drivers": plane.settings.drivers.model_copy(
                update={"fake": FakeDriverSettings(fail_in="guest.prepare")}
            )
        }
    )
    demo = plane.tenant("demo", "demo", "member")
    r = plane.client.post(plane.url(demo, "instances"), json=CREATE, headers=demo.headers())
    instance_id = r.json()["instance"]["id"]
    with plane.worker():
        doc = plane.wait_status(demo, instance_id, {"ACTIVE", "ERROR"})
    assert doc["status"] == "ERROR"
    assert "could not be created" in doc["fault"]["message"]
    assert "fake guest.prepare failed" in doc["fault"]["message"]
    assert fake_resources(plane, instance_id) == []
