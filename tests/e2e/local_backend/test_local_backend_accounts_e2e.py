"""Day-2 accounts on a real instance of each datastore through the Trove API, checked with
real logins from the host: a created user gets in, a revoked grant really denies, a changed
password replaces the old one, and root logs in over TCP only after it was enabled."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from strongroom.worker.service import Worker
from tests.functional.api.day2_support import wait_idle
from tests.support.controlplane import ControlPlane, Tenant
from tests.support.datastore_clients import DatastoreClient

pytestmark = pytest.mark.e2e

CREATE = {
    "instance": {
        "name": "accounts",
        "flavorRef": "sr.tiny",
        "volume": {"size": 1, "type": None},
        "datastore": {"type": "mariadb", "version": "10.11"},
        "access": {"is_public": True},
    }
}
TIMEOUT = 180.0


@pytest.fixture(scope="module")
def instance(
    plane: ControlPlane, worker: Worker, demo: Tenant, datastore: DatastoreClient
) -> Iterator[dict[str, Any]]:
    body = {"instance": {**CREATE["instance"]}}
    body["instance"]["datastore"] = {"type": datastore.name, "version": datastore.version}
    r = plane.client.post(plane.url(demo, "instances"), json=body, headers=demo.headers())
    assert r.status_code == 200, r.text
    instance_id = r.json()["instance"]["id"]
    try:
        doc = plane.wait_status(demo, instance_id, {"ACTIVE", "ERROR"}, timeout=TIMEOUT)
        yield {**doc, "datastore_client": datastore}
    finally:
        plane.client.delete(plane.url(demo, f"instances/{instance_id}"), headers=demo.headers())
        plane.wait_status(demo, instance_id, {"DELETED", "ERROR"}, timeout=TIMEOUT)


def call(
    plane: ControlPlane,
    demo: Tenant,
    doc: dict[str, Any],
    method: str,
    path: str,
    body: Any = None,
    status: int = 202,
) -> Any:
    """One API call on the instance, then wait until its job is done."""
    url = plane.url(demo, f"instances/{doc['id']}/{path}")
    r = plane.client.request(method, url, json=body, headers=demo.headers())
    assert r.status_code == status, (method, path, r.text)
    wait_idle(plane, doc["id"], timeout=60)
    return r.json() if r.content else None


def login(doc: dict[str, Any], user: str, password: str, database: str | None = None) -> bool:
    """Whether a login with the datastore's own driver (and `SELECT 1` in it) works; a
    refusal for another reason than credentials or database access fails the test."""
    datastore: DatastoreClient = doc["datastore_client"]
    address = doc["addresses"][0]["address"]
    if datastore.refusal(address, datastore.port, user, password, database) is not None:
        return False
    with datastore.session(address, datastore.port, user, password, database) as session:
        return session.one("SELECT 1") == (1,)


def test_users_and_grants_with_real_logins(
    instance: dict[str, Any], plane: ControlPlane, demo: Tenant
) -> None:
    assert instance["status"] == "ACTIVE", instance
    started = time.monotonic()
    dbs = {"databases": [{"name": "shop", "character_set": "utf8mb4"}, {"name": "crm"}]}
    call(plane, demo, instance, "POST", "databases", dbs)
    user = {"name": "alice", "password": "Alice-pw-123", "databases": [{"name": "shop"}]}
    call(plane, demo, instance, "POST", "users", {"users": [user]})
    assert login(instance, "alice", "Alice-pw-123", "shop")
    assert not login(instance, "alice", "Alice-pw-123", "crm")
    assert not login(instance, "alice", "wrong-password", "shop")

    call(plane, demo, instance, "PUT", "users/alice/databases", {"databases": [{"name": "crm"}]})
    assert login(instance, "alice", "Alice-pw-123", "crm")
    call(plane, demo, instance, "DELETE", "users/alice/databases/shop")
    assert not login(instance, "alice", "Alice-pw-123", "shop"), "revoked"
    shown = call(plane, demo, instance, "GET", "users/alice@%25/databases", status=200)
    assert shown == {"databases": [{"name": "crm"}]}

    change = {"user": {"name": "alicia", "password": "Alicia-pw-456"}}
    call(plane, demo, instance, "PUT", "users/alice", change)
    assert not login(instance, "alice", "Alice-pw-123")
    assert login(instance, "alicia", "Alicia-pw-456", "crm"), "grants follow a rename"
    bulk = {"users": [{"name": "alicia", "password": "Bulk-pw-789"}]}
    call(plane, demo, instance, "PUT", "users", bulk)
    assert login(instance, "alicia", "Bulk-pw-789", "crm")
    assert not login(instance, "alicia", "Alicia-pw-456")

    call(plane, demo, instance, "DELETE", "users/alicia")
    assert not login(instance, "alicia", "Bulk-pw-789")
    call(plane, demo, instance, "DELETE", "databases/crm")
    listed = call(plane, demo, instance, "GET", "databases", status=200)
    assert listed == {"databases": [{"name": "shop", "character_set": "utf8mb4"}]}
    print(f"accounts round trip in {time.monotonic() - started:.1f} s")


def test_root_logs_in_over_tcp_only_while_enabled(
    instance: dict[str, Any], plane: ControlPlane, demo: Tenant
) -> None:
    assert call(plane, demo, instance, "GET", "root", status=200) == {"rootEnabled": False}
    assert not login(instance, "root", "anything-at-all")
    enabled = call(plane, demo, instance, "POST", "root", status=200)["user"]
    assert enabled["name"] == "root"
    assert login(instance, "root", enabled["password"])
    call(plane, demo, instance, "DELETE", "root", status=204)
    assert not login(instance, "root", enabled["password"])
    assert call(plane, demo, instance, "GET", "root", status=200) == {"rootEnabled": True}
