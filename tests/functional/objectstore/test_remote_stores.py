"""What is particular to the remote stores: built from settings by the registry, signing in
again when Swift drops the token, clear errors for bad credentials or an unreachable store
(with no secret in them), and the sweep of what a killed put leaves behind."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable

import httpx
import pytest

from strongroom.config import Settings
from strongroom.config.settings import S3StoreSettings, SwiftStoreSettings
from strongroom.contracts.errors import InfrastructureError
from strongroom.drivers.objectstore import s3 as s3_module
from strongroom.drivers.objectstore import swift as swift_module
from strongroom.drivers.objectstore.registry import open_object_store
from strongroom.drivers.objectstore.s3 import S3ObjectStore
from strongroom.drivers.objectstore.swift import SwiftObjectStore
from strongroom.drivers.objectstore.swift_auth import SwiftAccess
from tests.functional.objectstore.conftest import (
    MIB,
    s3_settings,
    swift_names,
    swift_settings,
)
from tests.support.swift import SwiftServer

pytestmark = pytest.mark.functional


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends


@pytest.mark.parametrize("kind", ["swift", "s3"])
def test_registry_builds_the_configured_store(swift_server: SwiftServer, kind: str) -> None:
    section = swift_settings(swift_server) if kind == "swift" else s3_settings(swift_server)
    raw = section.model_dump()
    raw[{"swift": "password", "s3": "secret_key"}[kind]] = swift_server.key
    settings = Settings.model_validate({"backups": {"store": kind, kind: raw}})
    store = open_object_store(settings)
    assert isinstance(store, SwiftObjectStore if kind == "swift" else S3ObjectStore)
    store.put("via/registry", [b"built from settings"])
    assert b"".join(store.get("via/registry")) == b"built from settings"


def test_swift_signs_in_again_when_the_token_is_refused(swift_server: SwiftServer) -> None:
    store = SwiftObjectStore(swift_settings(swift_server))
    store.put("inst-1/b", [b"before"])
    dropped = SwiftAccess("AUTH_tk" + "0" * 32, store._auth.access().storage_url, 1e12)
    store._auth._access = dropped  # as if Swift had forgotten our token
    store.put("inst-1/c", [os.urandom(MIB + 5)])
    store._auth._access = dropped
    assert b"".join(store.get("inst-1/b")) == b"before"
    assert store.size("inst-1/c") == MIB + 5


def test_swift_renews_a_token_about_to_expire(swift_server: SwiftServer) -> None:
    store = SwiftObjectStore(swift_settings(swift_server))
    store.put("inst-1/b", [b"x"])
    old = store._auth.access()
    store._auth._access = SwiftAccess(old.token, old.storage_url, time.monotonic() + 60)
    assert store.exists("inst-1/b")
    assert store._auth.access().expires_at > time.monotonic() + 3600  # signed in again


@pytest.mark.parametrize("kind", ["swift", "s3"])
def test_wrong_credentials_are_a_clear_error_without_the_secret(
    swift_server: SwiftServer, kind: str
) -> None:
    wrong = "not-the-" + swift_server.key
    store = (
        SwiftObjectStore(swift_settings(swift_server, password=wrong))
        if kind == "swift"
        else S3ObjectStore(s3_settings(swift_server, secret_key=wrong))
    )
    with pytest.raises(InfrastructureError) as caught:
        store.put("inst-1/b", [b"x"])
    error = caught.value
    assert error.retryable is False
    assert "403" in error.message or "credentials" in error.message
    assert wrong not in f"{error.message} {error.detail}"


@pytest.mark.parametrize("kind", ["swift", "s3"])
def test_unreachable_store_is_a_retryable_error(kind: str) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    store: SwiftObjectStore | S3ObjectStore
    if kind == "swift":
        fields = {"auth_url": f"{url}/auth/v1.0", "auth_version": "1", "user": "a:b"}
        swift = SwiftStoreSettings.model_validate({**fields, "password": "k"})
        store = SwiftObjectStore(swift)
    else:
        fields = {"endpoint_url": url, "access_key": "a", "secret_key": "k"}
        store = S3ObjectStore(S3StoreSettings.model_validate(fields))
    with pytest.raises(InfrastructureError) as caught:
        store.exists("inst-1/b")
    assert caught.value.retryable is True
    assert "unreachable" in caught.value.message


def test_swift_sweep_removes_segments_of_a_put_that_never_finished(
    swift_server: SwiftServer,
) -> None:
    store = SwiftObjectStore(swift_settings(swift_server))
    store.put("inst-1/kept", [os.urandom(2 * MIB)])
    written: list[dict[str, object]] = []
    store._put_segments("inst-1/killed/0123abcd", [os.urandom(MIB + 1)], written)  # no manifest
    assert len(swift_names(swift_server, store.segments_container)) == 2 + 2
    assert store.sweep_orphans() == 0  # written just now: could be a put still running
    assert store.sweep_orphans(idle_seconds=0) == 2
    assert len(swift_names(swift_server, store.segments_container)) == 2
    assert (
        store.size("inst-1/kept") == 2 * MIB and len(b"".join(store.get("inst-1/kept"))) == 2 * MIB
    )


def test_s3_sweep_aborts_an_upload_that_never_finished(swift_server: SwiftServer) -> None:
    store = S3ObjectStore(s3_settings(swift_server))
    store.put("inst-1/kept", [b"kept"])
    upload = store.client.create_multipart_upload(Bucket=store.bucket, Key="inst-1/killed")
    store.client.upload_part(
        Bucket=store.bucket,
        Key="inst-1/killed",
        UploadId=upload["UploadId"],
        PartNumber=1,
        Body=os.urandom(5 * MIB),
    )
    assert store.sweep_orphans() == 0  # started just now: could be a put still running
    time.sleep(1.1)  # S3 times are whole seconds (s3api rounds them up)
    assert store.sweep_orphans(idle_seconds=0) == 1
    assert store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", []) == []
    assert swift_names(swift_server, f"{store.bucket}+segments") == []
    assert b"".join(store.get("inst-1/kept")) == b"kept"


def test_swift_object_missing_a_segment_is_an_error_not_short_data(
    swift_server: SwiftServer,
) -> None:
    store = SwiftObjectStore(swift_settings(swift_server))
    store.put("inst-1/b", [os.urandom(3 * MIB)])
    second = swift_names(swift_server, store.segments_container)[1]
    store._request("DELETE", f"/{second}", expect=(204,))  # lost behind our back
    with pytest.raises(InfrastructureError, match="broke off"):
        b"".join(store.get("inst-1/b"))


@pytest.mark.parametrize("kind", ["swift", "s3"])
def test_object_beyond_the_segment_limit_is_refused_and_leaves_nothing(
    swift_server: SwiftServer, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if kind == "swift":
        monkeypatch.setattr(swift_module, "MAX_SEGMENTS", 2)
        store: SwiftObjectStore | S3ObjectStore = SwiftObjectStore(swift_settings(swift_server))
        size, namespaces = 3 * MIB, [store.container, store.segments_container]
    else:
        monkeypatch.setattr(s3_module, "MAX_PARTS", 1)
        store = S3ObjectStore(s3_settings(swift_server))
        size, namespaces = 6 * MIB, [store.bucket, f"{store.bucket}+segments"]
    with pytest.raises(InfrastructureError, match="larger than"):
        store.put("inst-1/huge", [os.urandom(size)])
    assert [n for ns in namespaces for n in swift_names(swift_server, ns)] == []


class LostAnswer(httpx.BaseTransport):
    """Sends every request to Swift, but loses Swift's answer to the one `lost` picks (as a
    timeout would): Swift stored what was sent, the store does not know it."""

    def __init__(self, server: SwiftServer, lost: Callable[[httpx.Request], bool]) -> None:
        self.network = httpx.HTTPTransport(verify=server.verify)
        self.lost = lost

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.network.handle_request(request)
        if self.lost(request):
            response.read()
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


def manifest_put(request: httpx.Request) -> bool:
    return request.method == "PUT" and request.url.params.get("multipart-manifest") == "put"


def second_segment_put(request: httpx.Request) -> bool:
    return request.method == "PUT" and request.url.path.endswith("/00000001")


@pytest.mark.parametrize("lost", [manifest_put, second_segment_put])
def test_swift_put_whose_answer_is_lost_leaves_nothing(
    swift_server: SwiftServer, lost: Callable[[httpx.Request], bool]
) -> None:
    settings = swift_settings(swift_server)
    store = SwiftObjectStore(
        settings, client=httpx.Client(transport=LostAnswer(swift_server, lost))
    )
    with pytest.raises(InfrastructureError, match="broke off"):
        store.put("inst-1/b", [os.urandom(2 * MIB + 1)])
    assert not SwiftObjectStore(settings).exists("inst-1/b")
    assert swift_names(swift_server, store.container) == []
    assert swift_names(swift_server, store.segments_container) == []


@pytest.mark.parametrize("kind", ["swift", "s3"])
def test_untrusted_certificate_is_refused(swift_server: SwiftServer, kind: str) -> None:
    """The loopback Swift speaks TLS with a private CA: without `ca_file` it is not trusted."""
    assert swift_server.endpoint_url.startswith("https://")
    store = (
        SwiftObjectStore(swift_settings(swift_server, ca_file=None))
        if kind == "swift"
        else S3ObjectStore(s3_settings(swift_server, ca_file=None))
    )
    with pytest.raises(InfrastructureError) as caught:
        store.put("inst-1/b", [b"x"])
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value.detail)
