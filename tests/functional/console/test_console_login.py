"""The console's login, cookie and gateway over HTTP: the token stays in an HttpOnly,
SameSite=Strict cookie scoped to /console; only a same-origin POST logs in or out; the
cookie opens read-only console routes and nothing of /v1.0; console responses carry the
security headers."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from strongroom.config.keystone import KeystoneSettings
from strongroom.config.settings import IdentitySettings
from strongroom.identity.keystone_app import create_identity_app
from tests.functional.console.console_site import PASSWORD, Site, serving
from tests.support.controlplane import ControlPlane, make_settings
from tests.support.pgcluster import free_port

pytestmark = pytest.mark.functional

TEST_ORIGIN = {"Origin": "http://testserver"}  # the TestClient's own site


def log_in(client: httpx.Client, site: Site, password: str = "pw-demodemo") -> httpx.Response:
    return client.post(
        "/console/login", json=site.login_body(password), headers={"Origin": site.origin}
    )


def test_login_sets_a_strict_http_only_cookie_and_no_token_in_the_body(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with httpx.Client(base_url=site.url) as client:
        r = log_in(client, site, password="wrong-password")
        assert r.status_code == 401 and "set-cookie" not in r.headers
        assert r.json()["unauthorized"]["message"] and "wrong-password" not in r.text

        r = client.post("/console/login", json=site.login_body())  # no Origin
        assert r.status_code == 403 and "set-cookie" not in r.headers
        r = client.post(
            "/console/login", json=site.login_body(), headers={"Origin": "http://evil.example"}
        )
        assert r.status_code == 403 and "set-cookie" not in r.headers

        r = log_in(client, site)
        assert r.status_code == 200, r.text
        cookie = r.headers["set-cookie"]
        flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
        assert {"httponly", "path", "max-age"} <= flags and "secure" not in flags  # http here
        assert "samesite=strict" in cookie.lower() and "path=/console" in cookie.lower()
        token = client.cookies["strongroom_console"]
        assert token not in r.text and r.json()["session"]["project_name"] == "demo"

        # the cookie opens the console's reads, and never /v1.0 itself
        demo = site.demo.project_id
        r = client.get(f"/console/api/v1.0/{demo}/instances")
        assert r.status_code == 200 and [i["name"] for i in r.json()["instances"]] == ["orders"]
        r = client.get(f"/v1.0/{demo}/instances", headers={"Cookie": f"strongroom_console={token}"})
        assert r.status_code == 401
    logged = caplog.text  # the API's, identity's, uvicorn's and httpx's logs, all levels
    assert "/v3/auth/tokens" in logged
    assert "wrong-password" not in logged and PASSWORD not in logged
    # httpcore's DEBUG traces print response headers (X-Subject-Token); nothing else may
    assert not [r for r in caplog.records if r.levelno >= logging.INFO and token in r.getMessage()]


def test_gateway_reads_only_and_only_the_callers_project(site: Site) -> None:
    demo, other = site.demo.project_id, site.other.project_id
    with httpx.Client(base_url=site.url) as client:
        assert client.get(f"/console/api/v1.0/{demo}/instances").status_code == 401  # no cookie
        log_in(client, site)
        mine = f"/console/api/v1.0/{demo}/instances/{site.instance_id}"
        for path in (mine, mine + "/events", mine + "/top-queries", mine + "/metrics"):
            assert client.get(path).status_code == 200, path
        r = client.get(f"/console/api/v1.0/{demo}/instances/{site.others_instance_id}")
        assert r.status_code == 404 and "itemNotFound" in r.json()
        r = client.get(f"/console/api/v1.0/{demo}/instances/{site.others_instance_id}/metrics")
        assert r.status_code == 404
        assert client.get(f"/console/api/v1.0/{other}/instances").status_code in (401, 403)
        # writes are not routed: the cookie cannot delete, create or read accounts
        assert client.delete(mine).status_code in (404, 405)
        r = client.post(f"/console/api/v1.0/{demo}/instances", json={"instance": {}})
        assert r.status_code in (404, 405)
        assert client.get(mine + "/users").status_code == 404
        listed = client.get(f"/console/api/v1.0/{demo}/instances").json()["instances"]
        assert [(i["name"], i["status"]) for i in listed] == [("orders", "ACTIVE")]


def test_console_responses_carry_security_headers_and_pages_need_login(site: Site) -> None:
    with httpx.Client(base_url=site.url) as client:
        r = client.get("/console")
        assert r.status_code == 303 and r.headers["location"] == "/console/login"
        for path in ("/console/login", "/console/static/console.js", "/console/api/session"):
            r = client.get(path)
            csp = r.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
            assert "unsafe-inline" not in csp
            assert r.headers["x-frame-options"] == "DENY", path
            assert r.headers["cache-control"] in ("no-store", "no-cache"), path
        assert client.get("/console/static/chart.js").status_code == 200
        log_in(client, site)
        r = client.get("/console")
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
        assert "<script>" not in r.text and 'src="/console/static/console.js"' in r.text
        charts = {c["id"] for c in client.get("/console/api/charts").json()["charts"]}
        assert {"cpu", "memory", "storage", "connections", "qps"} <= charts

        r = client.post("/console/logout", headers={"Origin": site.origin})
        assert r.status_code == 204 and "strongroom_console" not in client.cookies
        assert client.get("/console").status_code == 303


def test_keystone_mode_logs_in_at_the_configured_keystone(tmp_path: Path) -> None:
    """With `identity.mode = "keystone"` the login goes to `identity.keystone.auth_url` (here
    the built-in identity standing in for Keystone; Debian's Keystone takes ~90 s to set up)
    and the cookie's token is validated through the service user."""
    base = make_settings(tmp_path / "state", f"sqlite:///{tmp_path / 'control.db'}")
    service = KeystoneSettings(
        auth_url=f"http://127.0.0.1:{base.identity.port}/v3",
        username="strongroom",
        password=SecretStr("pw-" + "strongroom" * 2),  # ControlPlane.tenant's password
        project_name="service",
    )
    unused_port = free_port()  # the built-in identity's own address must not be used
    identity = IdentitySettings(mode="keystone", port=unused_port, keystone=service)
    plane = ControlPlane(base.model_copy(update={"identity": identity}))
    try:
        plane.tenant("service", "strongroom", "admin")  # may validate tokens
        shop = plane.tenant("shop", "alice", "member")
        with serving(create_identity_app(base, plane.db), base.identity.port):
            body = {"user": "alice", "password": "wrong-password", "project": "shop"}
            r = plane.client.post("/console/login", json=body, headers=TEST_ORIGIN)
            assert r.status_code == 401 and "set-cookie" not in r.headers
            body["password"] = "pw-" + "alice" * 2
            r = plane.client.post("/console/login", json=body, headers=TEST_ORIGIN)
            assert r.status_code == 200, r.text
            assert r.json()["session"]["project_id"] == shop.project_id
            r = plane.client.get(f"/console/api/v1.0/{shop.project_id}/instances")
            assert r.status_code == 200 and r.json()["instances"] == []
    finally:
        plane.close()
