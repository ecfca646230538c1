"""Instance actions on fake drivers: restart (REBOOT), resize to a flavor and grow the volume
(RESIZE), back to ACTIVE; a second action meanwhile is refused, bad ones change nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.functional.api.day2_support import active_instance, count_jobs, engine, events, wait_idle
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.functional


def action(plane: ControlPlane, tenant: Tenant, iid: str, body: Any) -> Any:
    url = plane.url(tenant, f"instances/{iid}/action")
    return plane.client.post(url, json=body, headers=tenant.headers())


def show(plane: ControlPlane, tenant: Tenant, iid: str) -> dict[str, Any]:
    r = plane.client.get(plane.url(tenant, f"instances/{iid}"), headers=tenant.headers())
    doc: dict[str, Any] = r.json()["instance"]
    return doc


def fake(plane: ControlPlane, kind: str, iid: str) -> dict[str, Any]:
    path = plane.settings.state_dir / "fake" / kind / f"{iid}.json"
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_restart_and_resizes(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    with plane.worker():
        iid = active_instance(plane, demo)
    assert action(plane, demo, iid, {"restart": {}}).status_code == 202
    assert show(plane, demo, iid)["status"] == "REBOOT"
    busy = action(plane, demo, iid, {"resize": {"flavorRef": "sr.medium"}})
    assert busy.status_code == 409 and "REBOOT" in busy.text
    with plane.worker():
        wait_idle(plane, iid)
        assert show(plane, demo, iid)["status"] == "ACTIVE"
        assert engine(plane, iid)["restarts"] == 1

        assert action(plane, demo, iid, {"resize": {"flavorRef": "sr.medium"}}).status_code == 202
        wait_idle(plane, iid)
        doc = show(plane, demo, iid)
        assert doc["status"] == "ACTIVE"
        medium = plane.client.get(plane.url(demo, "flavors/sr.medium"), headers=demo.headers())
        flavor = medium.json()["flavor"]
        assert doc["flavor"]["id"] == flavor["id"]
        assert fake(plane, "sandbox", iid)["ram_mb"] == flavor["ram"]
        assert engine(plane, iid)["memory_mib"] == flavor["ram"]

        grow = {"resize": {"volume": {"size": 3}}}
        assert action(plane, demo, iid, grow).status_code == 202
        wait_idle(plane, iid)
    doc = show(plane, demo, iid)
    assert doc["status"] == "ACTIVE" and doc["volume"]["size"] == 3
    assert fake(plane, "volume", iid)["size_gib"] == 3
    assert engine(plane, iid)["running"] is True
    history = "\n".join(events(plane, iid))
    for said in ("REBOOT", "RESIZE", "resized to flavor sr.medium", "volume grown to 3 GiB"):
        assert said in history


BAD_ACTIONS: list[tuple[Any, int]] = [
    ({"resize": {"volume": {"size": 1}}}, 400),
    ({"resize": {"volume": {"size": 0}}}, 400),
    ({"resize": {"volume": {"size": 100000}}}, 400),
    ({"resize": {"flavorRef": "nope"}}, 404),
    ({"resize": {"flavorRef": "sr.small"}}, 400),
    ({"resize": {}}, 400),
    ({"restart": {}, "resize": {"flavorRef": "sr.medium"}}, 400),
    ({"promote_to_replica_source": {}}, 400),
    ({}, 400),
]


def test_bad_actions_change_nothing(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    with plane.worker():
        iid = active_instance(plane, demo)
    before = count_jobs(plane), show(plane, demo, iid)
    for body, status in BAD_ACTIONS:
        assert action(plane, demo, iid, body).status_code == status, body
    assert (count_jobs(plane), show(plane, demo, iid)) == before


def test_a_failed_volume_grow_starts_the_engine_again(plane: ControlPlane) -> None:
    from strongroom.config.settings import FakeDriverSettings

    demo = plane.tenant("demo", "demo", "member")
    with plane.worker():
        iid = active_instance(plane, demo)
    plane.settings = plane.settings.model_copy(
        update={
            "drivers": plane.settings.drivers.model_copy(
                update={"fake": FakeDriverSettings(fail_in="volume.grow")}
            )
        }
    )
    assert action(plane, demo, iid, {"resize": {"volume": {"size": 2}}}).status_code == 202
    with plane.worker():
        wait_idle(plane, iid)
    doc = show(plane, demo, iid)
    assert doc["status"] == "ACTIVE" and doc["volume"]["size"] == 1
    assert engine(plane, iid)["running"] is True
    assert any("volume not grown to 2 GiB" in e for e in events(plane, iid))
