"""The unmodified `openstack database backup create NAME --restore-from LOCATION
--restore-datastore-version ID` against `strongroom up` (fake backend): a member is refused,
an admin registers a stored object (a copy of a real backup's object under a key no record
names), restores a new instance from it with `instance create --backup`, and its delete
removes the object. (A handful of CLI calls: each one starts the client, 2-8 s here.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid

import pytest

from strongroom.datastores import load_catalog
from tests.functional.api.test_backups_openstackclient import wait_for
from tests.functional.cli.test_up_with_openstackclient import VENV_BIN, Up, up  # noqa: F401

pytestmark = pytest.mark.functional


def refused(up: Up, *args: str) -> str:  # noqa: F811
    """The error an `openstack` command that must fail prints."""
    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(up.clouds)}
    env.pop("OS_CLOUD", None)
    command = [str(VENV_BIN / "openstack"), "--os-cloud", "strongroom-demo", *args]
    r = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode != 0, r.stdout
    return r.stderr


def test_restore_from_with_openstackclient(up: Up) -> None:  # noqa: F811
    mariadb = next(d for d in load_catalog() if d.name == "mariadb")
    version = mariadb.version("10.11")
    assert version is not None
    create = ("database", "instance", "create")
    sizes = ("--flavor", "sr.small", "--size", "1")
    up.openstack(*create, "db1", *sizes, "--datastore", "mariadb", "--databases", "app")
    assert wait_for(up, ("database", "instance", "show", "db1"), {"ACTIVE"})["status"] == "ACTIVE"
    up.openstack("database", "backup", "create", "nightly", "--instance", "db1")
    done = wait_for(up, ("database", "backup", "show", "nightly"), {"COMPLETED", "FAILED"})
    assert done["status"] == "COMPLETED"
    admin = "strongroom-admin"
    held = up.openstack("database", "backup", "show", done["id"], cloud=admin)["locationRef"]
    project, instance, _ = held.split("/")
    key = f"{project}/{instance}/{uuid.uuid4()}.srbk"
    store = up.root / "state" / "backups"
    shutil.copyfile(store / held, store / key)

    restore_from = ("--restore-from", key, "--restore-datastore-version", version.id)
    err = refused(up, "database", "backup", "create", "mine", *restore_from)
    assert "backup:restore_from" in err and "403" in err

    imported = up.openstack("database", "backup", "create", "imported", *restore_from, cloud=admin)
    assert imported["status"] == "COMPLETED" and imported["locationRef"] == key
    assert imported["size_bytes"] == (store / key).stat().st_size
    assert imported["instance_id"] is None and imported["datastore"] == "mariadb"
    assert imported["datastore_version_id"] == version.id

    up.openstack(*create, "db2", *sizes, "--backup", "imported", cloud=admin)
    show = ("database", "instance", "show", "db2")
    deadline = time.monotonic() + 60
    while (doc := up.openstack(*show, cloud=admin))["status"] not in ("ACTIVE", "ERROR"):
        assert time.monotonic() < deadline, doc
        time.sleep(0.3)
    assert doc["status"] == "ACTIVE"

    up.openstack("database", "backup", "delete", "imported", cloud=admin, raw=True)
    deadline = time.monotonic() + 30
    while (store / key).exists():
        assert time.monotonic() < deadline, "the registered backup's object outlived its delete"
        time.sleep(0.2)
    assert (store / held).exists()  # the original backup's object is its own
