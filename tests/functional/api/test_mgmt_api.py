"""The mgmt (admin) API: every project's instances with their infrastructure, only for admins;
users never see that infrastructure; a status reset settles a stuck instance through a job."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from strongroom.drivers.placement import placement_of
from strongroom.store.models import Instance
from tests.functional.api.test_instance_lifecycle import CREATE
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.functional

PASSWORD = "S3cret-pass"


def _create(plane: ControlPlane, tenant: Tenant, name: str) -> str:
    body = json.loads(json.dumps(CREATE))
    body["instance"]["name"] = name
    r = plane.client.post(plane.url(tenant, "instances"), json=body, headers=tenant.headers())
    assert r.status_code == 200, r.text
    return str(r.json()["instance"]["id"])


def _mgmt(plane: ControlPlane, tenant: Tenant, path: str = "") -> Any:
    return plane.client.get(plane.url(tenant, f"mgmt/instances{path}"), headers=tenant.headers())


def _reset(plane: ControlPlane, tenant: Tenant, instance_id: str, action: str) -> Any:
    return plane.client.post(
        plane.url(tenant, f"mgmt/instances/{instance_id}/action"),
        json={action: {}},
        headers=tenant.headers(),
    )


def _user_documents(plane: ControlPlane, tenant: Tenant, instance_id: str) -> list[str]:
    paths = ["instances", "instances/detail", f"instances/{instance_id}"]
    paths += [f"instances/{instance_id}/{sub}" for sub in ("events", "databases", "users")]
    texts = []
    for path in paths:
        r = plane.client.get(plane.url(tenant, path), headers=tenant.headers())
        assert r.status_code == 200, (path, r.text)
        texts.append(r.text)
    return texts


def test_admin_sees_every_project_with_its_infrastructure_users_see_none(
    plane: ControlPlane,
) -> None:
    demo = plane.tenant("demo", "demo", "member")
    other = plane.tenant("other", "olga", "member")
    reader = plane.tenant("demo", "rita", "reader")
    admin = plane.tenant("admin", "root", "admin")
    mine, theirs = _create(plane, demo, "mine"), _create(plane, other, "theirs")
    with plane.worker():
        for tenant, instance_id in ((demo, mine), (other, theirs)):
            assert plane.wait_status(tenant, instance_id, {"ACTIVE"})["status"] == "ACTIVE"

    r = _mgmt(plane, admin)
    assert r.status_code == 200, r.text
    listed = {doc["id"]: doc for doc in r.json()["instances"]}
    assert {mine, theirs} <= set(listed)
    assert listed[mine]["tenant_id"] == demo.project_id
    assert listed[theirs]["tenant_id"] == other.project_id
    only = _mgmt(plane, admin, f"?tenant_id={demo.project_id}").json()["instances"]
    assert [doc["id"] for doc in only] == [mine]
    assert _mgmt(plane, admin, "?all_projects=false").json()["instances"] == []

    shown = _mgmt(plane, admin, f"/{mine}").json()["instance"]
    place = placement_of(plane.settings, mine)
    assert shown["server"] == {"id": place.server_id, "host": place.host}
    assert shown["volume"]["path"] == place.volume_path and shown["volume"]["size"] == 1
    management = shown["management_address"]
    assert management and management.startswith("198.18.0.")
    assert {p["role"] for p in shown["ports"]} == {"management", "user"}
    assert [(j["workflow"], j["state"]) for j in shown["jobs"]] == [
        ("create_instance", "succeeded")
    ]
    assert PASSWORD not in json.dumps(shown), "the job history shows no secret"

    for text in _user_documents(plane, demo, mine) + _user_documents(plane, admin, mine):
        for secret in (management, place.server_id, place.volume_path, place.mountpoint):
            assert secret not in text, f"{secret} leaked into a user response"
        assert PASSWORD not in text

    for tenant in (demo, reader, other):
        assert _mgmt(plane, tenant).status_code == 403
        assert _mgmt(plane, tenant, f"/{mine}").status_code == 403
        assert _reset(plane, tenant, mine, "reset_status").status_code == 403
    anonymous = plane.client.get(f"/v1.0/{demo.project_id}/mgmt/instances")
    assert anonymous.status_code == 401
    assert _mgmt(plane, admin, "/no-such-instance").status_code == 404


def _force(plane: ControlPlane, instance_id: str, status: str) -> None:
    with plane.db.write() as s:
        row = s.get(Instance, instance_id)
        assert row is not None
        row.status = status


def _wait_admin(plane: ControlPlane, admin: Tenant, instance_id: str, status: str) -> Any:
    deadline = time.monotonic() + 30
    while True:
        doc = _mgmt(plane, admin, f"/{instance_id}").json()["instance"]
        finished = all(j["state"] in ("succeeded", "failed") for j in doc["jobs"])
        if doc["status"] == status and finished:
            return doc
        assert time.monotonic() < deadline, doc
        time.sleep(0.05)


def test_reset_status_settles_a_stuck_instance_from_what_its_agent_says(
    plane: ControlPlane,
) -> None:
    demo = plane.tenant("demo", "demo", "member")
    admin = plane.tenant("admin", "root", "admin")
    instance_id = _create(plane, demo, "stuck")
    assert _reset(plane, admin, instance_id, "reset_status").status_code == 409, "job running"
    with plane.worker():
        plane.wait_status(demo, instance_id, {"ACTIVE"})
    _force(plane, instance_id, "BUILD")  # a create that lost its way

    assert _reset(plane, admin, instance_id, "reset-task-status").status_code == 202
    assert _reset(plane, admin, instance_id, "reset_status").status_code == 409, "one at a time"
    with plane.worker():
        doc = _wait_admin(plane, admin, instance_id, "ACTIVE")
    assert doc["operating_status"] == "HEALTHY" and doc["fault"] is None
    assert doc["jobs"][0]["workflow"] == "reset_status"
    events = plane.client.get(
        plane.url(demo, f"instances/{instance_id}/events"), headers=demo.headers()
    ).json()["events"]
    assert "status reset by an administrator" in events[-1]["message"]

    # The agent is gone: the reset says so and leaves ERROR, from which a delete works.
    (plane.settings.state_dir / "fake" / "agent" / f"{instance_id}.json").unlink()
    assert _reset(plane, admin, instance_id, "reset_status").status_code == 202
    with plane.worker():
        doc = _wait_admin(plane, admin, instance_id, "ERROR")
        assert "does not answer" in doc["fault"]["message"]
        user_view = plane.wait_status(demo, instance_id, {"ERROR"})
        assert "status reset by an administrator" in user_view["fault"]["message"]
        r = plane.client.delete(plane.url(demo, f"instances/{instance_id}"), headers=demo.headers())
        assert r.status_code == 202
        plane.wait_status(demo, instance_id, {"DELETED"})
    assert _reset(plane, admin, instance_id, "reset_status").status_code == 404
    deleted = _mgmt(plane, admin, "?deleted=true").json()["instances"]
    assert [d["deleted"] for d in deleted if d["id"] == instance_id] == [True]
    bad = plane.client.post(
        plane.url(admin, f"mgmt/instances/{instance_id}/action"),
        json={"reboot": {}},
        headers=admin.headers(),
    )
    assert bad.status_code == 400
