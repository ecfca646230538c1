"""Databases, users, grants and root through the unmodified openstackclient + troveclient,
against `strongroom up` on the fake backend."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from tests.functional.cli.test_up_with_openstackclient import Up

pytestmark = pytest.mark.functional


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Up]:
    runner = Up(tmp_path)
    runner.clouds.write_text(yaml.safe_dump({"clouds": {}}))
    runner.start()
    try:
        yield runner
    finally:
        if runner.proc is not None and runner.proc.poll() is None:
            runner.interrupt()


def eventually(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.3)


def test_databases_users_and_root_with_openstackclient(running: Up) -> None:
    up = running
    db = ("database", "db")
    user = ("database", "user")
    root = ("database", "root")
    up.openstack(
        "database", "instance", "create", "db1", "--flavor", "sr.tiny", "--size", "1",
        "--datastore", "mariadb", "--datastore-version", "10.11", "--is-public",
    )  # fmt: skip
    eventually(
        lambda: up.openstack("database", "instance", "show", "db1")["status"] == "ACTIVE",
        "db1 never became ACTIVE",
    )

    up.openstack(*db, "create", "db1", "shop", "--character_set", "utf8mb4", raw=True)
    up.openstack(*db, "create", "db1", "crm", raw=True)
    assert [d["Name"] for d in up.openstack(*db, "list", "db1")] == ["crm", "shop"]

    up.openstack(*user, "create", "db1", "bob", "Bob-s3cret-pw", "--databases", "shop", raw=True)
    listed = up.openstack(*user, "list", "db1")
    assert listed == [{"Name": "bob", "Host": "%", "Databases": "shop"}]
    shown = up.openstack(*user, "show", "db1", "bob")
    assert shown["name"] == "bob" and shown["host"] == "%"
    # A user has one change at a time (409 meanwhile): retry until the creation is done.
    eventually(lambda: _ok(up, *user, "grant", "access", "db1", "bob", "crm"), "no grant")
    access = up.openstack(*user, "show", "access", "db1", "bob")
    assert sorted(a["Name"] for a in access) == ["crm", "shop"]
    eventually(lambda: _ok(up, *user, "revoke", "access", "db1", "bob", "shop"), "no revoke")
    assert [a["Name"] for a in up.openstack(*user, "show", "access", "db1", "bob")] == ["crm"]

    assert up.openstack(*root, "show", "db1")["is_root_enabled"] is False
    enabled = up.openstack(*root, "enable", "db1")
    assert enabled["name"] == "root" and len(enabled["password"]) >= 20
    assert up.openstack(*root, "show", "db1")["is_root_enabled"] is True

    up.openstack(*root, "disable", "db1", raw=True)
    assert up.openstack(*root, "show", "db1")["is_root_enabled"] is True, "enabled once"
    new_password = ("update", "attributes", "db1", "bob", "--new_password", "Bob-n3w-secret")
    eventually(lambda: _ok(up, *user, *new_password), "no password change")
    eventually(lambda: _ok(up, *user, "delete", "db1", "bob"), "no delete")
    up.openstack(*db, "delete", "db1", "shop", raw=True)
    assert up.openstack(*user, "list", "db1") == []
    assert [d["Name"] for d in up.openstack(*db, "list", "db1")] == ["crm"]
    log = up.log.read_text()
    for secret in ("Bob-s3cret-pw", "Bob-n3w-secret", enabled["password"]):
        assert secret not in log


def _ok(up: Up, *args: str) -> bool:
    """Whether the command succeeded (a refusal, such as 409, is False)."""
    try:
        up.openstack(*args, raw=True)
    except AssertionError:
        return False
    return True


def _status(up: Up) -> str:
    status: str = up.openstack("database", "instance", "show", "db1")["status"]
    return status


def test_configuration_actions_and_logs_with_openstackclient(running: Up) -> None:
    up = running
    cfg = ("database", "configuration")
    up.openstack(
        "database", "instance", "create", "db1", "--flavor", "sr.tiny", "--size", "1",
        "--datastore", "mariadb", "--datastore-version", "10.11",
    )  # fmt: skip
    eventually(lambda: _status(up) == "ACTIVE", "db1 never became ACTIVE")

    params = up.openstack(*cfg, "parameter", "list", "10.11", "--datastore", "mariadb")
    by_name = {p["Name"]: p for p in params}
    assert by_name["max_connections"]["Restart Required"] is False
    assert by_name["performance_schema"]["Restart Required"] is True
    one = up.openstack(*cfg, "parameter", "show", "10.11", "wait_timeout", "--datastore", "mariadb")
    assert one["name"] == "wait_timeout"

    created = up.openstack(
        *cfg, "create", "tuned", '{"max_connections": 300}',
        "--datastore", "mariadb", "--datastore-version", "10.11",
    )  # fmt: skip
    assert json.loads(created["values"]) == {"max_connections": 300}
    assert [c["Name"] for c in up.openstack(*cfg, "list")] == ["tuned"]
    up.openstack(*cfg, "attach", "db1", "tuned", raw=True)
    assert [i["Name"] for i in up.openstack(*cfg, "instances", "tuned")] == ["db1"]
    assert up.openstack(*cfg, "default", "db1") == {"max_connections": 300}
    up.openstack(*cfg, "parameter", "set", created["id"], '{"performance_schema": false}', raw=True)
    eventually(lambda: _status(up) == "RESTART_REQUIRED", "static value never pending")
    assert json.loads(up.openstack(*cfg, "show", "tuned")["values"]) == {
        "max_connections": 300,
        "performance_schema": False,
    }
    up.openstack("database", "instance", "restart", "db1", raw=True)
    eventually(lambda: _status(up) == "ACTIVE", "db1 never came back from the restart")
    up.openstack(*cfg, "detach", "db1", raw=True)
    up.openstack(*cfg, "delete", "tuned", raw=True)
    assert up.openstack(*cfg, "list") == []

    eventually(
        lambda: _ok(up, "database", "instance", "resize", "flavor", "db1", "sr.small"), "no resize"
    )
    eventually(lambda: _status(up) == "ACTIVE", "db1 never came back from the resize")
    eventually(lambda: _ok(up, "database", "instance", "resize", "volume", "db1", "2"), "no grow")
    eventually(lambda: _status(up) == "ACTIVE", "db1 never came back from the volume grow")
    shown = up.openstack("database", "instance", "show", "db1")
    assert shown["flavor"] == "2" and shown["volume"] == 2

    logs = up.openstack("database", "log", "list", "db1")
    assert {(g["Name"], g["Type"]) for g in logs} >= {("error", "SYS"), ("general", "USER")}
    up.openstack("database", "log", "set", "db1", "general", "--enable")
    assert up.openstack("database", "log", "show", "db1", "general")["status"] == "Enabled"
    up.openstack("database", "log", "set", "db1", "error", "--publish")
    eventually(
        lambda: up.openstack("database", "log", "show", "db1", "error")["published"] > 0,
        "the error log was never published",
    )
