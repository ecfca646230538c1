"""Users state intent (`access`); the service derives the firewall and shows it read-only."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.functional.api.test_instance_lifecycle import CREATE
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.functional


def enforced(plane: ControlPlane, instance_id: str) -> set[tuple[str, int]]:
    path = plane.settings.state_dir / "fake" / "firewall" / f"{instance_id}.json"
    return {(r["source"], r["port"]) for r in json.loads(path.read_text())["rules"]}


def show(plane: ControlPlane, tenant: Tenant, instance_id: str) -> dict[str, Any]:
    r = plane.client.get(plane.url(tenant, f"instances/{instance_id}"), headers=tenant.headers())
    return dict(r.json()["instance"])


def test_access_update_is_enforced_live_and_shown_read_only(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    r = plane.client.post(plane.url(demo, "instances"), json=CREATE, headers=demo.headers())
    instance_id = r.json()["instance"]["id"]
    url = plane.url(demo, f"instances/{instance_id}")
    early = plane.client.put(
        url, json={"instance": {"access": {"is_public": False}}}, headers=demo.headers()
    )
    assert early.status_code == 409, "access changes wait until the instance is ACTIVE"

    with plane.worker():
        plane.wait_status(demo, instance_id, {"ACTIVE"})
        assert {("0.0.0.0/0", 3306), ("::/0", 3306)} <= enforced(plane, instance_id)
        assert show(plane, demo, instance_id)["access"]["rules"] == [
            {"source": "0.0.0.0/0", "port": 3306, "protocol": "tcp"},
            {"source": "::/0", "port": 3306, "protocol": "tcp"},
        ]

        new = {"is_public": False, "allowed_cidrs": ["203.0.113.7/32", "2001:db8::/48"]}
        r = plane.client.put(url, json={"instance": {"access": new}}, headers=demo.headers())
        assert r.status_code == 202, r.text
        deadline = time.monotonic() + 20
        while ("203.0.113.7/32", 3306) not in enforced(plane, instance_id):
            assert time.monotonic() < deadline, "the new rules were never applied"
            time.sleep(0.05)
    engine_rules = {rule for rule in enforced(plane, instance_id) if rule[1] == 3306}
    assert engine_rules == {("203.0.113.7/32", 3306), ("2001:db8::/48", 3306)}
    doc = show(plane, demo, instance_id)
    assert doc["status"] == "ACTIVE"
    assert doc["access"]["allowed_cidrs"] == ["203.0.113.7/32", "2001:db8::/48"]
    assert {r["source"] for r in doc["access"]["rules"]} == {"203.0.113.7/32", "2001:db8::/48"}
    assert not any(r["port"] != 3306 for r in doc["access"]["rules"]), "agent rule is internal"

    bad = {"is_public": False, "allowed_cidrs": ["300.1.1.1/8"]}
    r = plane.client.put(url, json={"instance": {"access": bad}}, headers=demo.headers())
    assert r.status_code == 400 and "300.1.1.1/8" in r.json()["badRequest"]["message"]
    assert show(plane, demo, instance_id)["access"]["allowed_cidrs"] == new["allowed_cidrs"]


def test_there_is_no_security_group_api(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    for path in ("security-groups", "security-group-rules", "security-groups/1"):
        r = plane.client.get(plane.url(demo, path), headers=demo.headers())
        assert r.status_code == 404 and "itemNotFound" in r.json()
