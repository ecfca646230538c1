"""The unmodified `openstack database backup …` commands against `strongroom up` (fake
backend): create, incremental, list, show, restore with `instance create --backup`, delete;
then the operator's `strongroom backup list | schedule set/show/remove`.
(Kept to a dozen CLI calls: each one starts the client, 2-8 s on a loaded machine.)"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.functional.cli.test_mgmt_cli import strongroom
from tests.functional.cli.test_up_with_openstackclient import Up, up  # noqa: F401 (fixture)

pytestmark = pytest.mark.functional


def wait_for(up: Up, what: tuple[str, ...], wanted: set[str]) -> dict[str, Any]:  # noqa: F811
    deadline = time.monotonic() + 60
    while True:
        doc: dict[str, Any] = up.openstack(*what)
        if doc["status"] in wanted or time.monotonic() > deadline:
            return doc
        time.sleep(0.3)


def test_backup_commands_of_openstackclient(up: Up) -> None:  # noqa: F811
    create = ("database", "instance", "create")
    sizes = ("--flavor", "sr.small", "--size", "1")
    mariadb = ("--datastore", "mariadb", "--datastore-version", "10.11")
    up.openstack(*create, "db1", *sizes, *mariadb, "--databases", "app", "--users", "app:pw-12345")
    db1 = wait_for(up, ("database", "instance", "show", "db1"), {"ACTIVE"})
    assert db1["status"] == "ACTIVE"

    full = up.openstack("database", "backup", "create", "nightly", "--instance", "db1")
    assert full["status"] == "NEW" and full["locationRef"] is None
    shown = wait_for(up, ("database", "backup", "show", "nightly"), {"COMPLETED", "FAILED"})
    assert shown["status"] == "COMPLETED" and shown["size_bytes"] > 0
    more = up.openstack(
        "database", "backup", "create", "more", "--instance", "db1", "--incremental"
    )
    assert more["parent_id"] == full["id"]
    assert wait_for(up, ("database", "backup", "show", "more"), {"COMPLETED"})["status"] == (
        "COMPLETED"
    )
    listed = up.openstack("database", "backup", "list")
    assert [b["Name"] for b in listed] == ["more", "nightly"]

    up.openstack(*create, "db2", *sizes, "--backup", "more")  # the backup's datastore
    restored = wait_for(up, ("database", "instance", "show", "db2"), {"ACTIVE", "ERROR"})
    assert restored["status"] == "ACTIVE"
    out = up.openstack("database", "backup", "delete", "more", raw=True)
    assert "accepted" in out

    # The operator's CLI (as the admin cloud): backups of every project, schedules.
    listed_all = strongroom(up, "backup", "list", "--all-projects").stdout
    assert full["id"] in listed_all and "nightly" in listed_all
    schedule = ("backup", "schedule")
    out = strongroom(up, *schedule, "set", db1["id"], "--every-hours", "6", "--keep-fulls", "2")
    assert '"keep_fulls": 2' in out.stdout
    assert '"every_hours": 6' in strongroom(up, *schedule, "show", db1["id"]).stdout
    refused = strongroom(up, *schedule, "set", db1["id"], "--daily-at", "25:00", ok=False)
    assert refused.returncode == 1 and "daily_at is a UTC time" in refused.stderr
    assert "removed" in strongroom(up, *schedule, "remove", db1["id"]).stdout
