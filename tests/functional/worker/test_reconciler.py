"""The reconciler removes what has no record and reports what the record has lost."""

from __future__ import annotations

import json

import pytest

from strongroom.drivers.registry import build_drivers
from strongroom.worker.reconciler import Reconciler
from tests.functional.api.test_instance_lifecycle import CREATE, fake_resources
from tests.support.controlplane import ControlPlane

pytestmark = pytest.mark.functional


def test_leftovers_without_a_record_are_removed(plane: ControlPlane) -> None:
    fake = plane.settings.state_dir / "fake"
    for kind in ("sandbox", "volume", "plug", "firewall"):
        (fake / kind).mkdir(parents=True, exist_ok=True)
        (fake / kind / "ghost.json").write_text(json.dumps({}))
    Reconciler(plane.db, build_drivers(plane.settings)).run()
    assert not list(fake.glob("*/ghost.json"))


def test_a_lost_sandbox_puts_the_instance_in_error_with_a_fault(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    r = plane.client.post(plane.url(demo, "instances"), json=CREATE, headers=demo.headers())
    instance_id = r.json()["instance"]["id"]
    with plane.worker():
        plane.wait_status(demo, instance_id, {"ACTIVE"})
    (plane.settings.state_dir / "fake" / "sandbox" / f"{instance_id}.json").unlink()
    reconciler = Reconciler(plane.db, build_drivers(plane.settings))
    reconciler.run()
    doc = plane.wait_status(demo, instance_id, {"ERROR"}, timeout=1)
    assert doc["fault"]["message"] == "the instance's sandbox is gone from the host"
    assert "volume" in [p.split("/")[0] for p in fake_resources(plane, instance_id)], (
        "a recorded instance's remaining parts are kept for the user's delete"
    )
    r = plane.client.delete(plane.url(demo, f"instances/{instance_id}"), headers=demo.headers())
    assert r.status_code == 202
    with plane.worker():
        plane.wait_status(demo, instance_id, {"DELETED"})
    assert fake_resources(plane, instance_id) == []
