"""Engine logs on fake drivers: listed with their type, USER logs switched through a job,
SYS logs always on; publishing copies a log into the backup object store, where it can be
downloaded and discarded, and the instance's delete removes it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.functional.api.day2_support import (
    active_instance,
    count_jobs,
    engine,
    events,
    wait_idle,
)
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
        ({"name": "nope"}, 404),
        ({"name": "nope", "enable": 1}, 404),
        ({"name": "general", "enable": 1, "disable": 1}, 400),
        ({"enable": 1}, 400),
    ]:
        r = log(plane, demo, iid, body)
        assert r.status_code == status, (body, r.text)
    assert "enable it" in log(plane, demo, iid, {"name": "general", "publish": 1}).text
    assert count_jobs(plane) == before


def download(plane: ControlPlane, tenant: Tenant, iid: str, name: str) -> Any:
    return plane.client.get(
        plane.url(tenant, f"instances/{iid}/log/{name}"), headers=tenant.headers()
    )


def test_publish_download_discard_and_delete(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    other = plane.tenant("other", "other", "member")
    store = plane.settings.state_dir / "backups" / "logs"
    with plane.worker():
        iid = active_instance(plane, demo)
        assert download(plane, demo, iid, "error").text == ""
        r = log(plane, demo, iid, {"name": "error", "publish": 1})
        assert r.status_code == 202, r.text
        wait_idle(plane, iid)
        shown = log(plane, demo, iid, {"name": "error"}).json()["log"]
        content = download(plane, demo, iid, "error")
        assert content.status_code == 200
        assert content.text.startswith(f"[Note] fake error log of {iid}: line 0\n")
        assert shown["published"] == len(content.content) > 0
        assert shown["container"] == "database_logs" and iid in shown["prefix"]

        # Nothing new was written: publishing again adds nothing.
        assert log(plane, demo, iid, {"name": "error", "publish": 1}).status_code == 202
        wait_idle(plane, iid)
        assert download(plane, demo, iid, "error").content == content.content
        assert any("log error published" in e for e in events(plane, iid))

        # Other projects see nothing; unknown logs are 404.
        assert download(plane, other, iid, "error").status_code == 404
        assert download(plane, demo, iid, "nope").status_code == 404

        assert log(plane, demo, iid, {"name": "error", "discard": 1}).status_code == 202
        wait_idle(plane, iid)
        assert download(plane, demo, iid, "error").text == ""
        assert log(plane, demo, iid, {"name": "error"}).json()["log"]["published"] == 0

        assert log(plane, demo, iid, {"name": "error", "publish": 1}).status_code == 202
        wait_idle(plane, iid)
        assert any(store.rglob("part-*"))
        r = plane.client.delete(plane.url(demo, f"instances/{iid}"), headers=demo.headers())
        assert r.status_code == 202
        plane.wait_status(demo, iid, {"DELETED"})
    assert not any(store.rglob("*")), "the deleted instance's published logs are left"
