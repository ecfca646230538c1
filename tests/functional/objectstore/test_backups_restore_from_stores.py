"""`restore_from` with the store set to Swift or S3 (the real loopback Swift, over TLS): an
object of the store named in the store's URL form (Swift's object URL, `s3://bucket/key`) is
registered after being read whole, restores into a new instance, and its delete removes it
from the store (segments and parts included); a foreign object is refused, left as it was."""

from __future__ import annotations

import uuid

import pytest

from strongroom.drivers.objectstore.registry import open_object_store
from tests.functional.api.day2_support import active_instance, engine, wait_idle
from tests.functional.api.test_backups import completed
from tests.functional.api.test_backups_restore_from import register
from tests.functional.api.test_instance_lifecycle import CREATE
from tests.functional.objectstore.test_backups_api_stores import (  # noqa: F401
    holdings,
    store_plane,
)
from tests.support.controlplane import ControlPlane
from tests.support.swift import SwiftServer

pytestmark = pytest.mark.functional


def url_of(plane: ControlPlane, kind: str, key: str) -> str:
    if kind == "swift":
        container = plane.settings.backups.swift.container
        return f"https://swift.example.net/v1/AUTH_strongroom/{container}/{key}"
    return f"s3://{plane.settings.backups.s3.bucket}/{key}"


def test_register_from_the_store_url_restore_and_delete(
    store_plane: tuple[ControlPlane, str],  # noqa: F811
    swift_server: SwiftServer,
) -> None:
    plane, kind = store_plane
    demo = plane.tenant("demo", "demo", "member")
    admin = plane.tenant("admin", "admin", "admin")
    store = open_object_store(plane.settings)
    with plane.worker():
        source = active_instance(plane, demo)
        original = completed(plane, demo, source, name="nightly")
        shown = plane.client.get(plane.url(admin, f"backups/{original}"), headers=admin.headers())
        held: str = shown.json()["backup"]["locationRef"]
        project, instance, _ = held.split("/")
        key = f"{project}/{instance}/{uuid.uuid4()}.srbk"
        size = store.put(key, store.get(held))
        junk = f"{project}/{instance}/{uuid.uuid4()}.srbk"
        store.put(junk, iter([b"SRBK" + b"\x00" * 100]))

        r = register(plane, admin, url_of(plane, kind, junk))
        assert r.status_code == 400 and "not a Strongroom backup" in r.text, r.text
        assert store.exists(junk)

        r = register(plane, admin, url_of(plane, kind, key))
        assert r.status_code == 202, r.text
        doc = r.json()["backup"]
        assert doc["status"] == "COMPLETED" and doc["size_bytes"] == size
        assert doc["locationRef"] == key

        create = {"instance": {**CREATE["instance"], "name": "from-imported"}}
        create["instance"].pop("databases", None)
        create["instance"].pop("users", None)
        create["instance"]["restorePoint"] = {"backupRef": doc["id"]}
        r = plane.client.post(plane.url(admin, "instances"), json=create, headers=admin.headers())
        assert r.status_code == 200, r.text
        restored = r.json()["instance"]["id"]
        assert plane.wait_status(admin, restored, {"ACTIVE", "ERROR"})["status"] == "ACTIVE"
        assert set(engine(plane, restored)["databases"]) == {"app"}

        url = plane.url(admin, f"backups/{doc['id']}")
        assert plane.client.delete(url, headers=admin.headers()).status_code == 202
        wait_idle(plane, doc["id"])
        assert not store.exists(key) and store.exists(held)
        url = plane.url(demo, f"backups/{original}")
        assert plane.client.delete(url, headers=demo.headers()).status_code == 202
        wait_idle(plane, original)
    store.delete(junk)
    assert holdings(plane, kind, swift_server) == []
