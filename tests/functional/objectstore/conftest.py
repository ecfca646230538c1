"""Every object store under test, each in a namespace of its own (a fresh directory, Swift
container or S3 bucket per test), with a view of everything it holds: objects, segments and
unfinished multipart parts. Swift and S3 are one real Swift on loopback (its Swift API and its
S3 API), started once per session."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from strongroom.config.settings import S3StoreSettings, SwiftStoreSettings
from strongroom.drivers.objectstore.base import ObjectStore
from strongroom.drivers.objectstore.fake import FakeObjectStore
from strongroom.drivers.objectstore.local import LocalObjectStore
from strongroom.drivers.objectstore.s3 import S3ObjectStore
from strongroom.drivers.objectstore.swift import SwiftObjectStore
from tests.support.swift import SwiftServer, swift_server

__all__ = ["swift_server"]  # the session fixture, used by every test here

MIB = 1 << 20
STORES = ["local", "fake", "swift", "s3"]


@dataclass
class StoreUnderTest:
    kind: str
    store: ObjectStore
    segment_size: int  # the unit a large object is cut into (0: never cut)
    holdings: Callable[[], list[str]]  # every name stored: objects, segments, parts


def swift_settings(server: SwiftServer, **overrides: object) -> SwiftStoreSettings:
    values: dict[str, object] = {
        "auth_url": server.auth_url,
        "auth_version": "1",
        "user": server.user,
        "password": server.key,
        "container": f"t{uuid.uuid4().hex[:12]}",
        "segment_size": MIB,
        "timeout_seconds": 30,
        "ca_file": server.ca_file,
    }
    return SwiftStoreSettings.model_validate({**values, **overrides})


def s3_settings(server: SwiftServer, **overrides: object) -> S3StoreSettings:
    values: dict[str, object] = {
        "endpoint_url": server.endpoint_url,
        "access_key": server.user,
        "secret_key": server.key,
        "bucket": f"t{uuid.uuid4().hex[:12]}",
        "part_size": 5 * MIB,
        "timeout_seconds": 30,
        "ca_file": server.ca_file,
    }
    return S3StoreSettings.model_validate({**values, **overrides})


def swift_names(server: SwiftServer, container: str) -> list[str]:
    """Names in a container, read with the Swift API (none if it does not exist)."""
    with server.client() as http:
        auth = http.get(
            server.auth_url, headers={"X-Auth-User": server.user, "X-Auth-Key": server.key}
        )
        url = f"{auth.headers['X-Storage-Url']}/{container}"
        listing = http.get(
            url, params={"format": "json"}, headers={"X-Auth-Token": auth.headers["X-Auth-Token"]}
        )
    if listing.status_code == 404:
        return []
    assert listing.status_code in (200, 204), listing.text
    return [f"{container}/{o['name']}" for o in listing.json()] if listing.content else []


@pytest.fixture(params=STORES)
def under_test(request: pytest.FixtureRequest, tmp_path: Path) -> StoreUnderTest:
    return build_store(request, tmp_path, request.param)


def build_store(request: pytest.FixtureRequest, tmp_path: Path, kind: str) -> StoreUnderTest:
    """A fresh store of `kind` (Swift and S3 in a container or bucket of their own)."""
    if kind == "local":
        local = LocalObjectStore(tmp_path / "objects")
        return StoreUnderTest(kind, local, 0, lambda: _files(local.directory))
    if kind == "fake":
        fake = FakeObjectStore()
        return StoreUnderTest(kind, fake, 0, lambda: sorted(fake.objects))
    server: SwiftServer = request.getfixturevalue("swift_server")
    if kind == "swift":
        swift = SwiftObjectStore(swift_settings(server))
        containers = (swift.container, swift.segments_container)
        return StoreUnderTest(
            kind, swift, MIB, lambda: [n for c in containers for n in swift_names(server, c)]
        )
    s3 = S3ObjectStore(s3_settings(server))
    return StoreUnderTest(kind, s3, 5 * MIB, lambda: s3_holdings(server, s3))


def s3_holdings(server: SwiftServer, s3: S3ObjectStore) -> list[str]:
    """Objects, unfinished uploads, and the parts s3api keeps in `<bucket>+segments`."""
    names = swift_names(server, s3.bucket)
    try:
        uploads = s3.client.list_multipart_uploads(Bucket=s3.bucket).get("Uploads", [])
    except s3.client.exceptions.NoSuchBucket:
        uploads = []
    names += [f"upload:{u['Key']}" for u in uploads]
    return names + swift_names(server, f"{s3.bucket}+segments")


def _files(directory: Path) -> list[str]:
    if not directory.exists():
        return []
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())
