"""`identity.mode = "keystone"` against a real Keystone (Debian's package, run on loopback):
tokens validated by a service user, roles mapped, revocation honoured after the cache TTL,
the service password never logged or shown."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from strongroom.config import masked_dump
from strongroom.config.keystone import KeystoneSettings
from strongroom.config.settings import IdentitySettings
from tests.functional.api.test_instance_lifecycle import CREATE
from tests.functional.identity.keystone_server import KeystoneServer
from tests.support.controlplane import ControlPlane, make_settings

pytestmark = pytest.mark.functional

CACHE_SECONDS = 1.0


@pytest.fixture(scope="module")
def keystone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeystoneServer]:
    server = KeystoneServer(tmp_path_factory.mktemp("keystone"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def people(keystone: KeystoneServer) -> dict[str, Any]:
    """Projects, users and roles in Keystone; each user's password."""
    projects = {
        name: keystone.create("project", {"name": name, "domain_id": "default"})
        for name in ("service", "shop", "other")
    }
    cast = {
        "strongroom": ("service", "service"),
        "alice": ("shop", "member"),
        "rita": ("shop", "reader"),
        "olga": ("other", "member"),
        "nemo": ("shop", "observer"),
    }
    passwords = {}
    for user, (project, role) in cast.items():
        passwords[user] = secrets.token_urlsafe(12)
        body = {"name": user, "password": passwords[user], "domain_id": "default"}
        keystone.grant(projects[project], keystone.create("user", body), role)
    return {"projects": projects, "passwords": passwords, "cast": cast}


@pytest.fixture
def plane(
    tmp_path: Path, keystone: KeystoneServer, people: dict[str, Any]
) -> Iterator[ControlPlane]:
    service = KeystoneSettings(
        auth_url=keystone.url,
        username="strongroom",
        password=SecretStr(people["passwords"]["strongroom"]),
        project_name="service",
        cache_seconds=CACHE_SECONDS,
        timeout_seconds=30,  # Keystone under uWSGI answers slowly on a loaded machine
    )
    base = make_settings(tmp_path / "state", f"sqlite:///{tmp_path / 'control.db'}")
    identity = IdentitySettings(mode="keystone", keystone=service)
    cp = ControlPlane(base.model_copy(update={"identity": identity}))
    try:
        yield cp
    finally:
        cp.close()


def _login(keystone: KeystoneServer, people: dict[str, Any], user: str) -> dict[str, str]:
    project = people["cast"][user][0]
    return {"X-Auth-Token": keystone.token(user, people["passwords"][user], project)}


def test_keystone_tokens_and_roles_decide_what_each_caller_may_do(
    plane: ControlPlane,
    keystone: KeystoneServer,
    people: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    shop, other = people["projects"]["shop"], people["projects"]["other"]
    alice, rita = _login(keystone, people, "alice"), _login(keystone, people, "rita")
    olga, nemo = _login(keystone, people, "olga"), _login(keystone, people, "nemo")
    admin = {"X-Auth-Token": keystone.admin_token()}
    url = f"/v1.0/{shop}/instances"

    created = plane.client.post(url, json=CREATE, headers=alice)
    assert created.status_code == 200, created.text
    instance_id = created.json()["instance"]["id"]
    listed = plane.client.get(url, headers=alice).json()["instances"]
    assert [i["id"] for i in listed] == [instance_id]
    assert plane.client.get(url, headers=rita).status_code == 200
    assert plane.client.post(url, json=CREATE, headers=rita).status_code == 403
    assert plane.client.get(url, headers=olga).status_code == 403
    foreign = plane.client.get(f"/v1.0/{other}/instances/{instance_id}", headers=olga)
    assert foreign.status_code == 404, "another project's instance is not revealed"
    assert plane.client.get(f"/v1.0/{other}/instances", headers=nemo).status_code == 403
    assert plane.client.get(url, headers=nemo).status_code == 403, "no role of ours"
    assert plane.client.get(url, headers=admin).status_code == 200, "admin: any project"
    mgmt = plane.client.get(f"/v1.0/{shop}/mgmt/instances", headers=admin)
    assert mgmt.status_code == 200 and instance_id in mgmt.text
    assert plane.client.get(f"/v1.0/{shop}/mgmt/instances", headers=alice).status_code == 403
    assert plane.client.get(url, headers={"X-Auth-Token": "not-a-token"}).status_code == 401
    assert plane.client.get(url).status_code == 401

    password = people["passwords"]["strongroom"]
    assert password not in caplog.text
    assert password not in str(masked_dump(plane.settings))


def test_a_revoked_token_is_refused_once_the_cache_expires(
    plane: ControlPlane, keystone: KeystoneServer, people: dict[str, Any]
) -> None:
    shop = people["projects"]["shop"]
    alice = _login(keystone, people, "alice")
    url = f"/v1.0/{shop}/instances"
    assert plane.client.get(url, headers=alice).status_code == 200
    keystone.revoke_token(alice["X-Auth-Token"])
    time.sleep(CACHE_SECONDS + 0.2)
    assert plane.client.get(url, headers=alice).status_code == 401


def test_console_login_at_keystone_and_logout_revokes(
    plane: ControlPlane, people: dict[str, Any]
) -> None:
    """The console logs in at Keystone server-side; its logout revokes the token there."""
    origin = {"Origin": "http://testserver"}  # the TestClient's own site
    client = plane.client
    body = {"user": "alice", "password": "wrong-password", "project": "shop"}
    r = client.post("/console/login", json=body, headers=origin)
    assert r.status_code == 401 and "set-cookie" not in r.headers

    body["password"] = people["passwords"]["alice"]
    r = client.post("/console/login", json=body, headers=origin)
    assert r.status_code == 200, r.text
    session = r.json()["session"]
    assert session["project_name"] == "shop" and "member" in session["roles"]
    token = client.cookies["strongroom_console"]
    r = client.get(f"/console/api/v1.0/{session['project_id']}/instances")
    assert r.status_code == 200

    assert client.post("/console/logout", headers=origin).status_code == 204
    assert "strongroom_console" not in client.cookies
    time.sleep(CACHE_SECONDS + 0.2)  # the validation cache forgets it
    client.cookies.set("strongroom_console", token, path="/console")
    assert client.get("/console/api/session").status_code == 401, "revoked at Keystone"


def test_an_unreachable_keystone_is_a_503_not_a_401(tmp_path: Path, people: dict[str, Any]) -> None:
    service = KeystoneSettings(
        auth_url="http://127.0.0.1:9/v3",  # discard port: nothing listens
        password=SecretStr(people["passwords"]["strongroom"]),
        timeout_seconds=1,
    )
    base = make_settings(tmp_path / "state", f"sqlite:///{tmp_path / 'control.db'}")
    identity = IdentitySettings(mode="keystone", keystone=service)
    cp = ControlPlane(base.model_copy(update={"identity": identity}))
    try:
        r = cp.client.get("/v1.0/p/instances", headers={"X-Auth-Token": "anything"})
        assert r.status_code == 503, r.text
        assert people["passwords"]["strongroom"] not in r.text
    finally:
        cp.close()


def test_keystone_mode_needs_its_endpoint_and_password() -> None:
    with pytest.raises(ValueError, match=r"identity\.keystone\.auth_url and password"):
        IdentitySettings(mode="keystone")
