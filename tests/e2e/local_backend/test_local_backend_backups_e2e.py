"""Backups of a real MariaDB instance through the Trove API on the local backend: a full while
the instance keeps serving queries, an incremental, a restore of the chain into a new instance
whose rows match exactly (real login as the restored user), a corrupted object refused with the
new instance in ERROR and rolled back off the host, and no object left after the deletes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymysql
import pytest
from local_backend_harness import PASSWORD, USER, LocalRun, create_body, created_instance, inventory

from strongroom.worker.service import Worker
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.e2e

DATABASE = "shop"
CREATE = create_body("source", DATABASE)
TIMEOUT = 180.0


def connect(doc: dict[str, Any]) -> pymysql.Connection[Any]:
    address = doc["addresses"][0]["address"]
    return pymysql.connect(
        host=address,
        user=USER,
        password=PASSWORD,
        database=DATABASE,
        connect_timeout=5,
        autocommit=True,
    )


def rows(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    with connect(doc) as conn, conn.cursor() as cur:
        cur.execute("SELECT id, note, amount FROM items ORDER BY id")
        return list(cur.fetchall())


def insert(doc: dict[str, Any], first: int, count: int) -> None:
    with connect(doc) as conn, conn.cursor() as cur:
        values = [(i, f"note {i} " + "x" * 200, i * 7) for i in range(first, first + count)]
        cur.executemany("INSERT INTO items VALUES (%s, %s, %s)", values)


def create(plane: ControlPlane, demo: Tenant, body: dict[str, Any]) -> str:
    r = plane.client.post(plane.url(demo, "instances"), json=body, headers=demo.headers())
    assert r.status_code == 200, r.text
    return str(r.json()["instance"]["id"])


def delete_instance(plane: ControlPlane, demo: Tenant, instance_id: str) -> None:
    plane.client.delete(plane.url(demo, f"instances/{instance_id}"), headers=demo.headers())
    plane.wait_status(demo, instance_id, {"DELETED", "ERROR"}, timeout=TIMEOUT)


def wait_backup(plane: ControlPlane, demo: Tenant, backup_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT
    while True:
        r = plane.client.get(plane.url(demo, f"backups/{backup_id}"), headers=demo.headers())
        doc: dict[str, Any] = r.json()["backup"]
        if doc["status"] in ("COMPLETED", "FAILED"):
            return doc
        assert time.monotonic() < deadline, doc
        time.sleep(0.1)


def take_backup(plane: ControlPlane, demo: Tenant, body: dict[str, Any]) -> dict[str, Any]:
    r = plane.client.post(plane.url(demo, "backups"), json={"backup": body}, headers=demo.headers())
    assert r.status_code == 202, r.text
    doc = wait_backup(plane, demo, r.json()["backup"]["id"])
    assert doc["status"] == "COMPLETED", doc
    return doc


def store_files(plane: ControlPlane) -> list[Path]:
    root = plane.settings.backups.local_path(plane.settings.state_dir)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


class Traffic(threading.Thread):
    """Writes and reads on the instance in a loop; counts successes and keeps errors."""

    def __init__(self, doc: dict[str, Any]) -> None:
        super().__init__(daemon=True)
        self.doc = doc
        self.stop = threading.Event()
        self.done = 0
        self.errors: list[str] = []

    def run(self) -> None:
        try:
            with connect(self.doc) as conn, conn.cursor() as cur:
                while not self.stop.is_set():
                    cur.execute("INSERT INTO traffic (at) VALUES (NOW(6))")
                    cur.execute("SELECT COUNT(*) FROM items")
                    self.done += 1
        except Exception as exc:  # reported by the test
            self.errors.append(repr(exc))


@pytest.fixture(scope="module")
def source(plane: ControlPlane, worker: Worker, demo: Tenant) -> Iterator[dict[str, Any]]:
    with created_instance(plane, demo, CREATE) as doc:
        with connect(doc) as conn, conn.cursor() as cur:
            cur.execute("CREATE TABLE items (id INT PRIMARY KEY, note TEXT, amount BIGINT)")
            cur.execute("CREATE TABLE traffic (n INT AUTO_INCREMENT PRIMARY KEY, at DATETIME(6))")
        yield doc


def test_backup_chain_restores_exactly_and_corruption_is_refused(
    plane: ControlPlane, demo: Tenant, source: dict[str, Any], local_run: LocalRun
) -> None:
    started = time.monotonic()
    insert(source, 1, 5000)

    # A full backup while the instance serves writes and reads the whole time.
    traffic = Traffic(source)
    traffic.start()
    time.sleep(0.2)
    before = traffic.done
    full = take_backup(plane, demo, {"name": "full", "instance": source["id"]})
    during = traffic.done - before
    traffic.stop.set()
    traffic.join(timeout=10)
    assert traffic.errors == [] and during > 0, (traffic.errors, during)
    shown = plane.wait_status(demo, source["id"], {"ACTIVE"})
    assert shown["status"] == "ACTIVE"

    insert(source, 5001, 500)
    incremental = take_backup(
        plane, demo, {"name": "incr", "instance": source["id"], "incremental": 1}
    )
    assert incremental["parent_id"] == full["id"]
    expected = rows(source)
    insert(source, 9001, 10)  # after the backup: must not be in the restore

    # Restore the chain into a new instance: the rows as of the incremental, exactly.
    restore = {"instance": {**CREATE["instance"], "name": "restored"}}
    for key in ("databases", "users"):
        restore["instance"].pop(key)
    restore["instance"]["restorePoint"] = {"backupRef": incremental["id"]}
    restored_id = create(plane, demo, restore)
    try:
        restored = plane.wait_status(demo, restored_id, {"ACTIVE", "ERROR"}, timeout=TIMEOUT)
        assert restored["status"] == "ACTIVE", restored
        assert rows(restored) == expected
        assert len(expected) == 5500
    finally:
        delete_instance(plane, demo, restored_id)

    # One flipped byte in the incremental's object: the restore is refused before it starts.
    (full_file, incremental_file) = sorted(
        store_files(plane), key=lambda p: p.name != f"{full['id']}.srbk"
    )
    data = bytearray(incremental_file.read_bytes())
    data[len(data) // 2] ^= 0x01
    incremental_file.write_bytes(bytes(data))
    restore["instance"]["name"] = "corrupted"
    broken_id = create(plane, demo, restore)
    try:
        broken = plane.wait_status(demo, broken_id, {"ACTIVE", "ERROR"}, timeout=TIMEOUT)
        assert broken["status"] == "ERROR", broken
        assert "checksum" in broken["fault"]["message"], broken["fault"]
        left = inventory(local_run)  # rolled back: only the source instance is on the host
        assert len(left.netns) == 1 and len(left.volume_files) == 1, left
    finally:
        delete_instance(plane, demo, broken_id)

    for backup in (incremental, full):
        url = plane.url(demo, f"backups/{backup['id']}")
        assert plane.client.delete(url, headers=demo.headers()).status_code == 202
        deadline = time.monotonic() + 30
        while plane.client.get(url, headers=demo.headers()).status_code != 404:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    assert store_files(plane) == [] and full_file not in store_files(plane)
    print(f"\nbackups e2e: {time.monotonic() - started:.1f}s")


def test_final_backup_brings_a_deleted_instance_back(
    plane: ControlPlane, demo: Tenant, source: dict[str, Any]
) -> None:
    url = plane.url(demo, f"instances/{source['id']}")
    on = {"instance": {"deletion_protection": True}}
    assert plane.client.put(url, json=on, headers=demo.headers()).status_code == 202
    refused = plane.client.delete(url, params={"final_backup": "true"}, headers=demo.headers())
    assert refused.status_code == 409 and "deletion protection" in refused.text
    off = {"instance": {"deletion_protection": False}}
    assert plane.client.put(url, json=off, headers=demo.headers()).status_code == 202

    expected = rows(source)
    r = plane.client.delete(url, params={"final_backup": "true"}, headers=demo.headers())
    assert r.status_code == 202, r.text
    plane.wait_status(demo, source["id"], {"DELETED"}, timeout=TIMEOUT)
    found = plane.client.get(
        plane.url(demo, "backups"), params={"instance_id": source["id"]}, headers=demo.headers()
    ).json()["backups"]
    (final,) = [b for b in found if b["name"] == "final-source"]
    assert final["status"] == "COMPLETED"

    restore = {"instance": {**CREATE["instance"], "name": "reborn"}}
    for key in ("databases", "users"):
        restore["instance"].pop(key)
    restore["instance"]["restorePoint"] = {"backupRef": final["id"]}
    reborn_id = create(plane, demo, restore)
    try:
        reborn = plane.wait_status(demo, reborn_id, {"ACTIVE", "ERROR"}, timeout=TIMEOUT)
        assert reborn["status"] == "ACTIVE", reborn
        assert rows(reborn) == expected
    finally:
        delete_instance(plane, demo, reborn_id)
    backup_url = plane.url(demo, f"backups/{final['id']}")
    assert plane.client.delete(backup_url, headers=demo.headers()).status_code == 202
    deadline = time.monotonic() + 30
    while plane.client.get(backup_url, headers=demo.headers()).status_code != 404:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert store_files(plane) == []
