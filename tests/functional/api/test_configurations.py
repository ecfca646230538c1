"""Configuration groups on fake drivers: parameters from the datastore description, values
checked against them, attach applies dynamic values live and puts static ones behind a
restart, PATCH merges and reaches attached instances, delete waits for a detach."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.functional.api.day2_support import active_instance, count_jobs, engine, wait_idle
from tests.functional.api.test_instance_lifecycle import CREATE
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.functional

PARAMETERS = "datastores/mariadb/versions/10.11/parameters"


def call(plane: ControlPlane, tenant: Tenant, method: str, path: str, body: Any = None) -> Any:
    url = plane.url(tenant, path)
    return plane.client.request(method, url, json=body, headers=tenant.headers())


def group(values: dict[str, Any], name: str = "tuned") -> dict[str, Any]:
    return {
        "configuration": {
            "name": name,
            "description": "for tests",
            "values": values,
            "datastore": {"type": "mariadb", "version": "10.11"},
        }
    }


def test_parameters_come_from_the_datastore_description(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    listed = call(plane, demo, "GET", PARAMETERS).json()["configuration-parameters"]
    by_name = {p["name"]: p for p in listed}
    assert by_name["max_connections"]["restart_required"] is False
    assert by_name["max_connections"]["type"] == "integer"
    assert by_name["max_connections"]["min"] == 10
    assert by_name["performance_schema"]["restart_required"] is True
    assert "datadir" not in by_name, "managed options are never offered"
    one = call(plane, demo, "GET", f"{PARAMETERS}/wait_timeout").json()
    assert one["name"] == "wait_timeout" and one["max"] == 31536000
    version_id = one["datastore_version_id"]
    by_id = call(plane, demo, "GET", f"datastores/versions/{version_id}/parameters").json()
    assert len(by_id["configuration-parameters"]) == len(listed)
    assert call(plane, demo, "GET", f"{PARAMETERS}/datadir").status_code == 404
    assert call(plane, demo, "GET", "datastores/nope/versions/1/parameters").status_code == 404


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"max_connections": 5}, "max_connections"),
        ({"max_connections": "many"}, "max_connections"),
        ({"max_connections": 1.5}, "max_connections"),
        ({"performance_schema": "yes"}, "performance_schema"),
        ({"datadir": "/tmp"}, "datadir"),
        ({"sql_mode": "A\nB"}, "sql_mode"),
    ],
)
def test_bad_values_are_refused_naming_the_parameter(
    plane: ControlPlane, values: dict[str, Any], named: str
) -> None:
    demo = plane.tenant("demo", "demo", "member")
    r = call(plane, demo, "POST", "configurations", group(values))
    assert r.status_code == 400, r.text
    assert named in r.json()["badRequest"]["message"]
    assert call(plane, demo, "GET", "configurations").json() == {"configurations": []}


def test_attach_apply_restart_patch_detach_delete(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    r = call(plane, demo, "POST", "configurations", group({"max_connections": 300}))
    assert r.status_code == 200, r.text
    created = r.json()["configuration"]
    cid = created["id"]
    assert created["values"] == {"max_connections": 300}
    assert created["datastore_name"] == "mariadb" and created["instance_count"] == 0
    assert [
        c["id"] for c in call(plane, demo, "GET", "configurations").json()["configurations"]
    ] == [cid]

    with plane.worker():
        iid = active_instance(plane, demo)
        attach = {"instance": {"configuration": cid}}
        assert call(plane, demo, "PUT", f"instances/{iid}", attach).status_code == 202
        wait_idle(plane, iid)
        assert engine(plane, iid)["live"] == {"max_connections": 300}
        shown = call(plane, demo, "GET", f"instances/{iid}").json()["instance"]
        assert shown["status"] == "ACTIVE" and shown["configuration"]["id"] == cid
        effective = call(plane, demo, "GET", f"instances/{iid}/configuration").json()
        assert effective == {"instance": {"configuration": {"max_connections": 300}}}

        patch = {"configuration": {"values": {"performance_schema": False}}}
        assert call(plane, demo, "PATCH", f"configurations/{cid}", patch).status_code == 202
        wait_idle(plane, iid)
        assert engine(plane, iid)["overrides"] == {
            "max_connections": 300,
            "performance_schema": False,
        }
        assert _status(plane, demo, iid) == "RESTART_REQUIRED"
        assert call(plane, demo, "DELETE", f"configurations/{cid}").status_code == 409
        using = call(plane, demo, "GET", f"configurations/{cid}/instances").json()
        assert using == {"instances": [{"id": iid, "name": "db1"}]}

        restart = call(plane, demo, "POST", f"instances/{iid}/action", {"restart": {}})
        assert restart.status_code == 202
        wait_idle(plane, iid)
        assert _status(plane, demo, iid) == "ACTIVE"
        assert engine(plane, iid)["live"]["performance_schema"] is False

        replaced = {"configuration": {"values": {"wait_timeout": 60}}}
        assert call(plane, demo, "PUT", f"configurations/{cid}", replaced).status_code == 202
        wait_idle(plane, iid)
        assert engine(plane, iid)["overrides"] == {"wait_timeout": 60}
        assert (
            call(plane, demo, "POST", f"instances/{iid}/action", {"restart": {}}).status_code == 202
        )
        wait_idle(plane, iid)

        detach = {"instance": {"configuration": None}}
        assert call(plane, demo, "PUT", f"instances/{iid}", detach).status_code == 202
        wait_idle(plane, iid)
    assert engine(plane, iid)["overrides"] == {}
    assert "configuration" not in call(plane, demo, "GET", f"instances/{iid}").json()["instance"]
    assert call(plane, demo, "DELETE", f"configurations/{cid}").status_code == 202
    assert call(plane, demo, "GET", f"configurations/{cid}").status_code == 404


def test_bad_attach_and_updates_change_nothing(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    other = plane.tenant("other", "other", "member")
    cid = call(plane, demo, "POST", "configurations", group({"wait_timeout": 10})).json()[
        "configuration"
    ]["id"]
    with plane.worker():
        iid = active_instance(plane, demo)
    before = count_jobs(plane)
    bad_patch = {"configuration": {"values": {"wait_timeout": 0}}}
    assert call(plane, demo, "PATCH", f"configurations/{cid}", bad_patch).status_code == 400
    assert call(plane, other, "GET", f"configurations/{cid}").status_code == 404
    foreign = call(plane, other, "POST", "configurations", group({})).json()["configuration"]
    steal = {"instance": {"configuration": foreign["id"]}}
    assert call(plane, demo, "PUT", f"instances/{iid}", steal).status_code == 404
    nothing = {"instance": {"configuration": None}}
    assert call(plane, demo, "PUT", f"instances/{iid}", nothing).status_code == 400
    assert call(plane, demo, "GET", f"configurations/{cid}").json()["configuration"]["values"] == {
        "wait_timeout": 10
    }
    assert count_jobs(plane) == before


def _status(plane: ControlPlane, tenant: Tenant, iid: str) -> str:
    status: str = call(plane, tenant, "GET", f"instances/{iid}").json()["instance"]["status"]
    return status


def test_a_group_given_at_create_is_applied_with_one_restart(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    values = {"max_connections": 200, "performance_schema": True}
    cid = call(plane, demo, "POST", "configurations", group(values)).json()["configuration"]["id"]
    body = copy.deepcopy(CREATE)
    body["instance"]["configuration"] = "no-such-group"
    assert call(plane, demo, "POST", "instances", body).status_code == 404
    assert call(plane, demo, "GET", "instances").json()["instances"] == []
    body["instance"]["configuration"] = cid
    r = call(plane, demo, "POST", "instances", body)
    assert r.status_code == 200, r.text
    iid = r.json()["instance"]["id"]
    assert r.json()["instance"]["configuration"]["id"] == cid
    with plane.worker():
        plane.wait_status(demo, iid, {"ACTIVE"})
        wait_idle(plane, iid)
    assert _status(plane, demo, iid) == "ACTIVE", "restarted at once, not RESTART_REQUIRED"
    fake = engine(plane, iid)
    assert fake["overrides"] == values and fake["restarts"] == 1
    shown = call(plane, demo, "GET", f"instances/{iid}").json()["instance"]
    assert shown["configuration"]["name"] == "tuned"
