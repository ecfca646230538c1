"""Day-2 accounts on a real MariaDB instance through the Trove API, checked with real logins
from the host: a created user gets in, a revoked grant really denies, a changed password
replaces the old one, and root logs in over TCP only after it was enabled."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pymysql
import pytest

from strongroom.worker.service import Worker
from tests.functional.api.day2_support import wait_idle
from tests.support.controlplane import ControlPlane, Tenant

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
ACCESS_DENIED = {1044, 1045, 1698}  # to a database, to the server, no such user


@pytest.fixture(scope="module")
def instance(plane: ControlPlane, worker: Worker, demo: Tenant) -> Iterator[dict[str, Any]]:
    r = plane.client.post(plane.url(demo, "instances"), json=CREATE, headers=demo.headers())
    assert r.status_code == 200, r.text
    instance_id = r.json()["instance"]["id"]
    try:
        yield plane.wait_status(demo, instance_id, {"ACTIVE", "ERROR"}, timeout=TIMEOUT)
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


def login(doc: dict[str, Any], user: str, password: str, database: str | None = None) -> int:
    """0 when the login (and the database) works, else MariaDB's error code."""
    address = doc["addresses"][0]["address"]
    try:
        conn = pymysql.connect(
            host=address, user=user, password=password, database=database, connect_timeout=5
        )
    except pymysql.err.OperationalError as exc:
        return int(exc.args[0])
    with conn, conn.cursor() as cur:
        cur.execute("SELECT 1")
    return 0


def test_users_and_grants_with_real_logins(
    instance: dict[str, Any], plane: ControlPlane, demo: Tenant
) -> None:
    assert instance["status"] == "ACTIVE", instance
    started = time.monotonic()
    dbs = {"databases": [{"name": "shop", "character_set": "utf8mb4"}, {"name": "crm"}]}
    call(plane, demo, instance, "POST", "databases", dbs)
    user = {"name": "alice", "password": "Alice-pw-123", "databases": [{"name": "shop"}]}
    call(plane, demo, instance, "POST", "users", {"users": [user]})
    assert login(instance, "alice", "Alice-pw-123", "shop") == 0
    assert login(instance, "alice", "Alice-pw-123", "crm") in ACCESS_DENIED
    assert login(instance, "alice", "wrong-password", "shop") in ACCESS_DENIED

    call(plane, demo, instance, "PUT", "users/alice/databases", {"databases": [{"name": "crm"}]})
    assert login(instance, "alice", "Alice-pw-123", "crm") == 0
    call(plane, demo, instance, "DELETE", "users/alice/databases/shop")
    assert login(instance, "alice", "Alice-pw-123", "shop") in ACCESS_DENIED, "revoked"
    shown = call(plane, demo, instance, "GET", "users/alice@%25/databases", status=200)
    assert shown == {"databases": [{"name": "crm"}]}

    change = {"user": {"name": "alicia", "password": "Alicia-pw-456"}}
    call(plane, demo, instance, "PUT", "users/alice", change)
    assert login(instance, "alice", "Alice-pw-123") in ACCESS_DENIED
    assert login(instance, "alicia", "Alicia-pw-456", "crm") == 0, "grants follow a rename"
    bulk = {"users": [{"name": "alicia", "password": "Bulk-pw-789"}]}
    call(plane, demo, instance, "PUT", "users", bulk)
    assert login(instance, "alicia", "Bulk-pw-789", "crm") == 0
    assert login(instance, "alicia", "Alicia-pw-456") in ACCESS_DENIED

    call(plane, demo, instance, "DELETE", "users/alicia")
    assert login(instance, "alicia", "Bulk-pw-789") in ACCESS_DENIED
    call(plane, demo, instance, "DELETE", "databases/crm")
    listed = call(plane, demo, instance, "GET", "databases", status=200)
    assert listed == {"databases": [{"name": "shop", "character_set": "utf8mb4"}]}
    print(f"accounts round trip in {time.monotonic() - started:.1f} s")


def test_root_logs_in_over_tcp_only_while_enabled(
    instance: dict[str, Any], plane: ControlPlane, demo: Tenant
) -> None:
    assert call(plane, demo, instance, "GET", "root", status=200) == {"rootEnabled": False}
    assert login(instance, "root", "anything-at-all") in ACCESS_DENIED
    enabled = call(plane, demo, instance, "POST", "root", status=200)["user"]
    assert enabled["name"] == "root"
    assert login(instance, "root", enabled["password"]) == 0
    call(plane, demo, instance, "DELETE", "root", status=204)
    assert login(instance, "root", enabled["password"]) in ACCESS_DENIED
    assert call(plane, demo, instance, "GET", "root", status=200) == {"rootEnabled": True}
