"""`ensure_bootstrap` against a live identity, checked with keystoneauth and `openstack`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from strongroom.identity.bootstrap import ensure_bootstrap
from tests.functional.identity.identity_server import Identity, running_identity

pytestmark = pytest.mark.functional

OPENSTACK = Path(sys.executable).parent / "openstack"
OTHER_CLOUD = {"auth": {"auth_url": "http://elsewhere:5000/v3", "username": "x"}}


@pytest.fixture
def identity(tmp_path: Path) -> Iterator[Identity]:
    with running_identity(tmp_path) as running:
        yield running


def clouds(path: Path) -> dict:
    return dict(yaml.safe_load(path.read_text())["clouds"])


def test_bootstrap_is_idempotent_and_keeps_other_clouds(identity: Identity, tmp_path: Path) -> None:
    path = tmp_path / "home" / ".config" / "openstack" / "clouds.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump({"clouds": {"mine": OTHER_CLOUD}, "cache": {"expiration": 1}}))

    first = ensure_bootstrap(identity.settings, identity.db, path)
    assert {n: e["status"] for n, e in first["entries"].items()} == {
        "strongroom-admin": "created",
        "strongroom-demo": "created",
    }
    written = clouds(path)
    assert written["mine"] == OTHER_CLOUD
    assert yaml.safe_load(path.read_text())["cache"] == {"expiration": 1}
    assert path.stat().st_mode & 0o777 == 0o600
    assert "password" not in json.dumps(first)

    second = ensure_bootstrap(identity.settings, identity.db, path)
    assert {e["status"] for e in second["entries"].values()} == {"kept"}
    assert all(e["created"] == [] for e in second["entries"].values())
    assert clouds(path) == written

    for name, role in (("strongroom-admin", "admin"), ("strongroom-demo", "member")):
        auth = written[name]["auth"]
        assert auth["auth_url"] == identity.url + "/v3"
        assert written[name]["region_name"] == "RegionX"
        sess = identity.session(auth["username"], auth["password"], auth["project_name"])
        access = sess.auth.get_access(sess)  # type: ignore[union-attr]
        assert access.role_names == [role]


def test_a_stale_password_is_replaced(identity: Identity, tmp_path: Path) -> None:
    path = tmp_path / "clouds.yaml"
    ensure_bootstrap(identity.settings, identity.db, path)
    stale = clouds(path)
    stale["strongroom-demo"]["auth"]["password"] = "not-it"
    path.write_text(yaml.safe_dump({"clouds": stale}))

    report = ensure_bootstrap(identity.settings, identity.db, path)
    assert report["entries"]["strongroom-demo"]["status"] == "reset"
    assert report["entries"]["strongroom-admin"]["status"] == "kept"
    fresh = clouds(path)["strongroom-demo"]["auth"]
    assert fresh["password"] != "not-it"
    assert identity.session("demo", fresh["password"]).get_token()


@pytest.mark.skipif(not OPENSTACK.exists(), reason="python-openstackclient is not installed")
def test_openstackclient_logs_in_with_the_written_entry(identity: Identity, tmp_path: Path) -> None:
    path = tmp_path / "clouds.yaml"
    ensure_bootstrap(identity.settings, identity.db, path)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "OS_CLIENT_CONFIG_FILE": str(path),
        "OS_CLOUD": "strongroom-demo",
    }
    result = subprocess.run(
        [str(OPENSTACK), "token", "issue", "-f", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    token = json.loads(result.stdout)
    demo = identity.directory.get_project("demo")
    assert token["project_id"] == demo.id
    assert token["user_id"] == identity.directory.get_user("demo").id
