"""The Swift store signing in with Keystone v3 (the default, and what OpenStack clouds run):
password auth scoped to a project, the object-store endpoint picked from the catalog by
interface and region, then the real Swift used with that token.

Keystone here is a stand-in answering `POST /v3/auth/tokens` in Keystone's shape (it hands out
a token the real Swift accepts); the Swift behind it is the real one. A real Keystone takes
~50 s to start on this machine (measured), too much for the suite's budget; the Keystone
protocol itself is tested against Debian's Keystone in tests/functional/identity."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from strongroom.config.settings import SwiftStoreSettings
from strongroom.contracts.errors import InfrastructureError
from strongroom.drivers.objectstore.swift import SwiftObjectStore
from tests.functional.objectstore.conftest import MIB
from tests.support.swift import SwiftServer

pytestmark = pytest.mark.functional

KEYSTONE = "http://keystone.test:5000/v3"
PASSWORD = "s3cret-password"


def closed_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1/AUTH_nowhere"


class KeystoneStandIn(httpx.BaseTransport):
    """Answers Keystone v3 password auth; every other request goes to the network."""

    def __init__(self, swift: SwiftServer) -> None:
        self.swift = swift
        self.network = httpx.HTTPTransport(verify=swift.verify)
        self.auth_bodies: list[dict[str, object]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != "keystone.test":
            return self.network.handle_request(request)
        assert (request.method, request.url.path) == ("POST", "/v3/auth/tokens")
        body = json.loads(request.content)
        self.auth_bodies.append(body)
        password = body["auth"]["identity"]["password"]["user"]["password"]
        if password != PASSWORD:
            return httpx.Response(401, json={"error": {"code": 401, "title": "Unauthorized"}})
        return httpx.Response(
            201, headers={"X-Subject-Token": self._swift_token()}, json=self._token_body()
        )

    def _swift_token(self) -> str:
        with self.swift.client() as http:
            answer = http.get(
                self.swift.auth_url,
                headers={"X-Auth-User": self.swift.user, "X-Auth-Key": self.swift.key},
            )
        return answer.headers["X-Auth-Token"]

    def _token_body(self) -> dict[str, object]:
        account_url = f"{self.swift.endpoint_url}/v1/AUTH_test"
        expires = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")

        def endpoint(interface: str, region: str, url: str) -> dict[str, str]:
            return {"interface": interface, "region": region, "region_id": region, "url": url}

        return {
            "token": {
                "expires_at": expires,
                "catalog": [
                    {"type": "identity", "endpoints": [endpoint("public", "RegionOne", KEYSTONE)]},
                    {
                        "type": "object-store",
                        "endpoints": [
                            endpoint("internal", "RegionOne", closed_url()),
                            endpoint("public", "RegionTwo", closed_url()),
                            endpoint("public", "RegionOne", account_url),
                        ],
                    },
                ],
            }
        }


def keystone_settings(**overrides: object) -> SwiftStoreSettings:
    values: dict[str, object] = {
        "auth_url": KEYSTONE,
        "user": "strongroom",
        "password": PASSWORD,
        "project_name": "service",
        "user_domain_name": "Default",
        "project_domain_name": "Default",
        "region": "RegionOne",
        "interface": "public",
        "container": "keystone_scoped",
        "segment_size": MIB,
    }
    return SwiftStoreSettings.model_validate({**values, **overrides})


def test_keystone_v3_sign_in_reaches_the_catalogs_swift(swift_server: SwiftServer) -> None:
    keystone = KeystoneStandIn(swift_server)
    store = SwiftObjectStore(keystone_settings(), client=httpx.Client(transport=keystone))
    data = bytes(range(256)) * 5000  # two segments
    assert store.put("inst-1/b", [data]) == len(data)
    assert b"".join(store.get("inst-1/b")) == data
    store.delete("inst-1/b")
    assert keystone.auth_bodies == [
        {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": "strongroom",
                            "domain": {"name": "Default"},
                            "password": PASSWORD,
                        }
                    },
                },
                "scope": {"project": {"name": "service", "domain": {"name": "Default"}}},
            }
        }
    ]


def test_keystone_v3_refusal_and_missing_endpoint_are_clear(swift_server: SwiftServer) -> None:
    keystone = KeystoneStandIn(swift_server)
    client = httpx.Client(transport=keystone)
    wrong = SwiftObjectStore(keystone_settings(password="wrong-one"), client=client)
    with pytest.raises(InfrastructureError, match="refused to sign in") as refused:
        wrong.exists("inst-1/b")
    assert "wrong-one" not in f"{refused.value.message} {refused.value.detail}"
    elsewhere = SwiftObjectStore(keystone_settings(region="RegionNine"), client=client)
    with pytest.raises(InfrastructureError, match="no object-store endpoint"):
        elsewhere.exists("inst-1/b")
