"""The built-in identity over HTTP, driven by the real keystoneauth1 client library."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from keystoneauth1 import exceptions as ks_exceptions

from strongroom.contracts.errors import Unauthorized
from strongroom.identity.authenticator import Authenticator
from strongroom.identity.tokens import TokenIssuer
from tests.functional.identity.identity_server import Identity, running_identity

pytestmark = pytest.mark.functional

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def password_login(user: dict[str, object], scope: dict[str, object] | None = None) -> dict:
    body: dict[str, object] = {"identity": {"methods": ["password"], "password": {"user": user}}}
    if scope is not None:
        body["scope"] = scope
    return body


@pytest.fixture
def identity(tmp_path: Path) -> Iterator[Identity]:
    with running_identity(tmp_path) as running:
        yield running


def test_keystoneauth_gets_a_token_and_the_expanded_database_endpoint(identity: Identity) -> None:
    sess = identity.session("alice", "alice-pw")
    assert sess.get_token()
    api = identity.settings.api.base_url()
    for interface in ("public", "internal", "admin"):
        endpoint = sess.get_endpoint(service_type="database", interface=interface)
        assert endpoint == f"{api}/v1.0/{identity.project_id}"
    assert sess.get_endpoint(service_type="identity", interface="public") == identity.url + "/v3"
    assert sess.get_project_id() == identity.project_id
    access = sess.auth.get_access(sess)  # type: ignore[union-attr]
    assert access.role_names == ["member"]
    assert access.project_name == "demo" and access.user_domain_id == "default"


def test_the_token_document_has_keystones_shape(identity: Identity) -> None:
    r = identity.login(
        password_login({"name": "alice", "domain": {"id": "default"}, "password": "alice-pw"})
    )
    assert r.status_code == 201
    assert r.headers["X-Subject-Token"]
    token = r.json()["token"]
    assert token["methods"] == ["password"]
    assert token["user"]["name"] == "alice"
    assert token["user"]["domain"] == {"id": "default", "name": "Default"}
    assert token["project"]["id"] == identity.project_id  # unscoped: the default project
    assert [role["name"] for role in token["roles"]] == ["member"]
    assert TIMESTAMP.match(token["issued_at"]) and TIMESTAMP.match(token["expires_at"])
    by_type = {service["type"]: service for service in token["catalog"]}
    assert by_type["database"]["name"] == "trove"
    for endpoint in by_type["database"]["endpoints"] + by_type["identity"]["endpoints"]:
        assert endpoint["region"] == endpoint["region_id"] == "RegionX"
    assert "alice-pw" not in r.text


def test_wrong_password_and_unknown_user_get_the_same_401(identity: Identity) -> None:
    with pytest.raises(ks_exceptions.Unauthorized):
        identity.session("alice", "guess-1").get_token()
    wrong = identity.login(password_login({"name": "alice", "password": "guess-1"}))
    unknown = identity.login(password_login({"name": "nobody", "password": "guess-1"}))
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["title"] == "Unauthorized"
    assert wrong.headers["WWW-Authenticate"].startswith("Keystone")
    assert "guess-1" not in wrong.text


def test_scope_by_id_and_refusal_without_a_role(identity: Identity) -> None:
    user = identity.directory.get_user("alice")
    by_id = identity.login(
        password_login(
            {"id": user.id, "password": "alice-pw"}, {"project": {"id": identity.project_id}}
        )
    )
    assert by_id.status_code == 201
    other = identity.directory.create_project("other")
    refused = identity.login(
        password_login({"name": "alice", "password": "alice-pw"}, {"project": {"id": other.id}})
    )
    assert refused.status_code == 401
    domain = identity.login(
        password_login({"name": "alice", "password": "alice-pw"}, {"domain": {"id": "default"}})
    )
    assert domain.status_code == 401
    malformed = identity.login({"identity": {"methods": ["password"]}, "password": 3})
    assert malformed.status_code == 401
    invalid = httpx.post(identity.url + "/v3/auth/tokens", json={"auth": {"identity": 1}})
    assert invalid.status_code == 400 and invalid.json()["error"]["code"] == 400


def test_tokens_are_validated_by_their_owner_or_an_admin(identity: Identity) -> None:
    alice = str(identity.session("alice", "alice-pw").get_token())
    identity.directory.create_user("bob", "bob-pw", "demo")
    identity.directory.assign_role("bob", "demo", "reader")
    bob = str(identity.session("bob", "bob-pw").get_token())
    url = identity.url + "/v3/auth/tokens"

    own = httpx.get(url, headers={"X-Auth-Token": alice, "X-Subject-Token": alice})
    assert own.status_code == 200 and own.json()["token"]["user"]["name"] == "alice"
    assert own.headers["X-Subject-Token"] == alice
    assert (
        httpx.get(url, headers={"X-Auth-Token": bob, "X-Subject-Token": alice}).status_code == 403
    )
    identity.directory.assign_role("bob", "demo", "admin")
    assert (
        httpx.head(url, headers={"X-Auth-Token": bob, "X-Subject-Token": alice}).status_code == 200
    )
    assert (
        httpx.get(url, headers={"X-Auth-Token": bob, "X-Subject-Token": "junk"}).status_code == 404
    )
    assert httpx.get(url, headers={"X-Subject-Token": alice}).status_code == 401
    assert (
        httpx.delete(url, headers={"X-Auth-Token": alice, "X-Subject-Token": alice}).status_code
        == 204
    )


def test_version_discovery(identity: Identity) -> None:
    root = httpx.get(identity.url + "/")
    assert root.status_code == 300
    (version,) = root.json()["versions"]["values"]
    assert version["id"] == "v3.14" and version["links"][0]["href"] == identity.url + "/v3/"
    for path in ("/v3", "/v3/"):
        document = httpx.get(identity.url + path).json()["version"]
        assert document["status"] == "stable"
        assert document["media-types"][0]["base"] == "application/json"
    missing = httpx.get(identity.url + "/v3/nothing")
    assert missing.status_code == 404 and missing.json()["error"]["title"] == "Not Found"


def test_the_authenticator_rereads_roles_and_a_reader_cannot_write(identity: Identity) -> None:
    identity.directory.create_user("rita", "rita-pw", "demo")
    identity.directory.assign_role("rita", "demo", "reader")
    token = identity.session("rita", "rita-pw").get_token()
    assert isinstance(token, str)
    authenticator = Authenticator(identity.settings, identity.db)
    ctx = authenticator.context_for_token(token)
    assert ctx.roles == frozenset({"reader"}) and ctx.project_name == "demo"
    assert not ctx.can_write and not ctx.is_admin and ctx.allows_method("GET")
    identity.directory.unassign_role("rita", "demo", "reader")
    with pytest.raises(Unauthorized):
        authenticator.context_for_token(token)
    identity.directory.assign_role("rita", "demo", "reader")
    identity.directory.delete_user("rita")
    with pytest.raises(Unauthorized):
        authenticator.context_for_token(token)


def test_an_expired_token_is_refused(identity: Identity) -> None:
    now = [time.time()]
    tokens = TokenIssuer(Fernet.generate_key(), ttl_seconds=60, clock=lambda: now[0])
    authenticator = Authenticator(identity.settings, identity.db, tokens=tokens)
    user = identity.directory.get_user("alice")
    token = tokens.issue(user.id, identity.project_id).token
    assert authenticator.context_for_token(token).user_name == "alice"
    now[0] += 61
    with pytest.raises(Unauthorized):
        authenticator.context_for_token(token)
