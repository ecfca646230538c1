"""`strongroom instance list --all-projects | show | reset-status | force-delete` through the
real console script against a running `strongroom up` (fake backend): it logs in with the
admin's clouds.yaml entry and talks to the mgmt API; a member's entry is refused. And the
unmodified `openstack database instance delete --force` of a just-created instance."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from strongroom.cli.mgmt import ApiSession, log_in
from strongroom.config import load_settings
from tests.functional.api.test_instance_lifecycle import CREATE
from tests.functional.cli.test_up_with_openstackclient import VENV_BIN, Up

pytestmark = pytest.mark.functional


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    runner = Up(tmp_path)
    runner.start()
    try:
        yield runner
    finally:
        if runner.proc is not None and runner.proc.poll() is None:
            runner.interrupt()


def strongroom(up: Up, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(
        [str(VENV_BIN / "strongroom"), "--config", str(up.config), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if ok:
        assert r.returncode == 0, f"strongroom {' '.join(args)}:\n{r.stderr}"
    return r


def _rows(output: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split() for line in output.splitlines()[2:]}


def _wait_idle(admin: ApiSession, instance_id: str, status: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        doc = admin.call("GET", f"mgmt/instances/{instance_id}").json()["instance"]
        if doc["status"] == status and all(j["finished"] for j in doc["jobs"]):
            return
        assert time.monotonic() < deadline, doc
        time.sleep(0.2)


def test_mgmt_commands_through_the_console_script(up: Up) -> None:
    settings = load_settings(up.config)
    demo, admin = log_in(settings, "strongroom-demo"), log_in(settings, "strongroom-admin")
    body = json.loads(json.dumps(CREATE))
    del body["instance"]["users"]
    instance_id = demo.call("POST", "instances", json=body).json()["instance"]["id"]
    _wait_idle(admin, instance_id, "ACTIVE")

    listed = _rows(strongroom(up, "instance", "list", "--all-projects").stdout)
    assert instance_id in listed
    demo_project = listed[instance_id][2]
    assert listed[instance_id][3:5] == ["ACTIVE", "ACTIVE"]
    assert listed[instance_id][6].startswith("198.18.0.")  # the management address
    only = _rows(strongroom(up, "instance", "list", "--project", demo_project).stdout)
    assert list(only) == [instance_id]

    shown = json.loads(strongroom(up, "instance", "show", instance_id).stdout)
    assert shown["id"] == instance_id and shown["volume"]["size"] == 1
    assert [j["workflow"] for j in shown["jobs"]] == ["create_instance"]

    assert "accepted" in strongroom(up, "instance", "reset-status", instance_id).stdout
    _wait_idle(admin, instance_id, "ACTIVE")
    refused = strongroom(up, "instance", "list", "--os-cloud", "strongroom-demo", ok=False)
    assert refused.returncode == 1
    assert "403" in refused.stderr and "mgmt:instance:list" in refused.stderr

    assert "accepted" in strongroom(up, "instance", "force-delete", instance_id).stdout
    deadline = time.monotonic() + 30
    while not admin.call("GET", f"mgmt/instances/{instance_id}").json()["instance"]["deleted"]:
        assert time.monotonic() < deadline, "never deleted"
        time.sleep(0.2)
    rows = _rows(strongroom(up, "instance", "list", "--deleted", "--all-projects").stdout)
    assert rows[instance_id][-1] == "True"  # deleted, kept for history
    assert demo.call("GET", "instances").json() == {"instances": []}

    # The unmodified client's force delete: reset_status on the instance path, then delete.
    second = demo.call("POST", "instances", json=body).json()["instance"]["id"]
    up.openstack(
        "database", "instance", "delete", "--force", second, cloud="strongroom-admin", raw=True
    )
    deadline = time.monotonic() + 30
    while not admin.call("GET", f"mgmt/instances/{second}").json()["instance"]["deleted"]:
        assert time.monotonic() < deadline, "never deleted"
        time.sleep(0.2)
