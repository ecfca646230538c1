"""SIGKILL the guest agent of a real MariaDB instance in the middle of a full backup on the local
backend: the backup ends FAILED with a readable fault (never COMPLETED), nothing of it is left
in the store, the engine (not the agent's child) serves queries right after the kill, the
backup tool does not outlive its agent, and the health manager brings the agent back."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymysql
import pytest

from strongroom.drivers.linux import cgroups, processes
from strongroom.drivers.local_layout import HostLayout
from strongroom.drivers.objectstore.local import PARTIAL_MARK
from strongroom.drivers.objectstore.registry import open_object_store
from strongroom.services.backup_schedules import OrphanSweeper
from strongroom.worker.health import HealthManager
from strongroom.worker.service import Worker
from tests.support.controlplane import ControlPlane, Tenant
from tests.support.datastore_clients import CLIENTS

pytestmark = pytest.mark.e2e

USER, PASSWORD, DATABASE = "app", "S3cret-pass", "shop"
CREATE = {
    "instance": {
        "name": "killed-agent",
        "flavorRef": "sr.tiny",
        "volume": {"size": 1, "type": None},
        "datastore": {"type": "mariadb", "version": "10.11"},
        "databases": [{"name": DATABASE}],
        "users": [{"name": USER, "password": PASSWORD, "databases": [{"name": DATABASE}]}],
        "access": {"is_public": True},
    }
}
TIMEOUT = 180.0
DOUBLINGS = 15  # 2**15 rows of 4 KiB of random bytes: 128 MiB, incompressible
RANDOM_ROW = "CONCAT(" + ", ".join(["RANDOM_BYTES(1024)"] * 4) + ")"


def connect(doc: dict[str, Any]) -> pymysql.Connection[Any]:
    return pymysql.connect(
        host=doc["addresses"][0]["address"],
        user=USER,
        password=PASSWORD,
        database=DATABASE,
        connect_timeout=5,
        autocommit=True,
    )


def count_rows(doc: dict[str, Any]) -> int:
    with connect(doc) as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM blobs")
        (count,) = cur.fetchone() or (0,)
        return int(count)


def store_files(plane: ControlPlane) -> list[Path]:
    root = plane.settings.backups.local_path(plane.settings.state_dir)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def partial_bytes(plane: ControlPlane, backup_id: str) -> int:
    """How much of the backup's object the store has written so far (its partial file)."""
    total = 0
    for path in store_files(plane):
        if PARTIAL_MARK in path.name and backup_id in str(path):
            with contextlib.suppress(FileNotFoundError):  # renamed into place meanwhile
                total += path.stat().st_size
    return total


def backup_doc(plane: ControlPlane, demo: Tenant, backup_id: str) -> dict[str, Any]:
    r = plane.client.get(plane.url(demo, f"backups/{backup_id}"), headers=demo.headers())
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()["backup"]
    return doc


def instance_doc(plane: ControlPlane, demo: Tenant, instance_id: str) -> dict[str, Any]:
    r = plane.client.get(plane.url(demo, f"instances/{instance_id}"), headers=demo.headers())
    doc: dict[str, Any] = r.json()["instance"]
    return doc


def events(plane: ControlPlane, demo: Tenant, instance_id: str) -> list[dict[str, Any]]:
    url = plane.url(demo, f"instances/{instance_id}/events")
    found: list[dict[str, Any]] = plane.client.get(url, headers=demo.headers()).json()["events"]
    return found


def group_commands(group: str) -> list[str]:
    """The command lines of the processes in the instance's cgroup."""
    return [" ".join(processes.cmdline(pid) or []) for pid in cgroups.group_pids(group)]


@pytest.fixture(scope="module")
def loaded(plane: ControlPlane, worker: Worker, demo: Tenant) -> Iterator[dict[str, Any]]:
    """An ACTIVE MariaDB instance holding 128 MiB of random bytes (deleted at the end)."""
    r = plane.client.post(plane.url(demo, "instances"), json=CREATE, headers=demo.headers())
    assert r.status_code == 200, r.text
    instance_id = r.json()["instance"]["id"]
    try:
        doc = plane.wait_status(demo, instance_id, {"ACTIVE", "ERROR"}, timeout=TIMEOUT)
        assert doc["status"] == "ACTIVE", doc
        with connect(doc) as conn, conn.cursor() as cur:
            cur.execute("CREATE TABLE blobs (id INT AUTO_INCREMENT PRIMARY KEY, body BLOB)")
            cur.execute(f"INSERT INTO blobs (body) SELECT {RANDOM_ROW}")
            for _ in range(DOUBLINGS):
                cur.execute(f"INSERT INTO blobs (body) SELECT {RANDOM_ROW} FROM blobs")
        yield doc
    finally:
        plane.client.delete(plane.url(demo, f"instances/{instance_id}"), headers=demo.headers())
        plane.wait_status(demo, instance_id, {"DELETED", "ERROR"}, timeout=TIMEOUT)


def test_agent_killed_mid_backup_fails_it_cleanly_and_the_instance_serves_on(
    plane: ControlPlane, worker: Worker, demo: Tenant, loaded: dict[str, Any]
) -> None:
    started = time.monotonic()
    instance_id = loaded["id"]
    rows = count_rows(loaded)
    assert rows == 2**DOUBLINGS
    layout = HostLayout.from_settings(plane.settings)
    box = layout.sandbox_dir(instance_id)
    agent = processes.read_pidfile(box / "agent.pid")
    engine = processes.read_pidfile(box / "run" / CLIENTS["mariadb"].pidfile)
    assert agent is not None and engine is not None

    body = {"backup": {"name": "doomed", "instance": instance_id}}
    r = plane.client.post(plane.url(demo, "backups"), json=body, headers=demo.headers())
    assert r.status_code == 202, r.text
    backup_id = r.json()["backup"]["id"]

    # Bytes are flowing: the store holds a growing partial object of this backup.
    deadline = time.monotonic() + 60
    while partial_bytes(plane, backup_id) < 1 << 20:
        doc = backup_doc(plane, demo, backup_id)
        assert doc["status"] in ("NEW", "BUILDING"), f"the backup ended before the kill: {doc}"
        assert time.monotonic() < deadline, "no bytes of the backup reached the store"
        time.sleep(0.02)
    assert backup_doc(plane, demo, backup_id)["status"] == "BUILDING"

    os.kill(agent, signal.SIGKILL)
    # The engine is not the agent's child: it serves right after the kill.
    assert count_rows(loaded) == rows
    assert processes.read_pidfile(box / "run" / CLIENTS["mariadb"].pidfile) == engine

    deadline = time.monotonic() + 60
    while (doc := backup_doc(plane, demo, backup_id))["status"] not in ("COMPLETED", "FAILED"):
        assert time.monotonic() < deadline, doc
        time.sleep(0.1)
    assert doc["status"] == "FAILED", doc
    assert doc["fault"]["message"].startswith("the backup failed: the guest agent"), doc["fault"]
    assert f"backup 'doomed': {doc['fault']['message']}" in [
        e["message"] for e in events(plane, demo, instance_id)
    ]

    # Nothing of it in the store, before any sweep; and a sweep finds nothing left either.
    assert [p for p in store_files(plane) if backup_id in str(p)] == []
    store = open_object_store(plane.settings)
    assert isinstance(store, OrphanSweeper) and store.sweep_orphans(0) == 0
    assert store_files(plane) == []

    # The backup tool does not outlive its agent (it would hold the server's backup locks).
    group = layout.cgroup(instance_id)
    deadline = time.monotonic() + 10
    while any("mariabackup" in c for c in group_commands(group)):
        assert time.monotonic() < deadline, group_commands(group)
        time.sleep(0.1)
    assert count_rows(loaded) == rows
    assert instance_doc(plane, demo, instance_id)["status"] == "ACTIVE"

    # The health manager sees the agent silent and starts it again; the engine was served
    # throughout and the instance is HEALTHY once more.
    health = HealthManager(plane.db, worker.drivers)
    deadline = time.monotonic() + 30
    while True:
        health.run()
        shown = instance_doc(plane, demo, instance_id)
        if shown["operating_status"] == "HEALTHY" and processes.find_process(
            box / "agent.pid", "agent"
        ) not in (None, agent):
            break
        assert time.monotonic() < deadline, shown
        assert count_rows(loaded) == rows
        time.sleep(0.2)
    said = [e["message"] for e in events(plane, demo, instance_id)]
    assert any("the guest agent did not answer" in m and "started it again" in m for m in said)
    assert processes.read_pidfile(box / "run" / CLIENTS["mariadb"].pidfile) == engine
    assert shown["status"] == "ACTIVE"

    # A new backup goes through the restarted agent.
    body = {"backup": {"name": "after", "instance": instance_id}}
    r = plane.client.post(plane.url(demo, "backups"), json=body, headers=demo.headers())
    assert r.status_code == 202, r.text
    after_id = r.json()["backup"]["id"]
    deadline = time.monotonic() + 90
    while (doc := backup_doc(plane, demo, after_id))["status"] not in ("COMPLETED", "FAILED"):
        assert time.monotonic() < deadline, doc
        time.sleep(0.1)
    assert doc["status"] == "COMPLETED", doc
    url = plane.url(demo, f"backups/{after_id}")
    assert plane.client.delete(url, headers=demo.headers()).status_code == 202
    deadline = time.monotonic() + 30
    while plane.client.get(url, headers=demo.headers()).status_code != 404:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert store_files(plane) == []
    print(f"\nagent killed mid-backup: {time.monotonic() - started:.1f}s")
