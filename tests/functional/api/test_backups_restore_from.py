"""Trove's "backup from a data location" (`POST /backups` with `restore_from`, as
python-troveclient sends it) on the fake backend with the real pipeline and local store:
an admin registers a sealed object of the store (here: a copy of a real backup's object, as
an object whose record was lost), it shows, restores like any other and its delete removes
the object; every bad location, object, datastore version, caller and quota is refused in
Trove's error format with nothing created."""

from __future__ import annotations

import hashlib
import shutil
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from strongroom.backups import envelope
from strongroom.backups.keys import BackupKeys, MasterKey
from strongroom.datastores import load_catalog
from strongroom.keyring import Keyring
from tests.functional.api.day2_support import active_instance, count_jobs, engine, wait_idle
from tests.functional.api.test_backups import completed, objects, restored_instance
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.functional


def version_id(datastore: str) -> str:
    found = next(d for d in load_catalog() if d.name == datastore)
    version = found.version(found.default_version)
    assert version is not None
    return version.id


def register(
    plane: ControlPlane,
    who: Tenant,
    location: str,
    description: str | None = None,
    **extra: Any,
) -> Any:
    """What `openstack database backup create imported --restore-from LOCATION
    --restore-datastore-version ID [--restore-size GB]` sends (`extra` changes it)."""
    restore_from = {
        "remote_location": location,
        "local_datastore_version_id": version_id("mariadb"),
        "size": None,
        **extra,
    }
    body: dict[str, Any] = {"backup": {"name": "imported", "restore_from": restore_from}}
    if description is not None:
        body["backup"]["description"] = description
    return plane.client.post(plane.url(who, "backups"), json=body, headers=who.headers())


def store_root(plane: ControlPlane) -> Path:
    return plane.settings.backups.local_path(plane.settings.state_dir)


def location_of(plane: ControlPlane, admin: Tenant, backup_id: str) -> str:
    r = plane.client.get(plane.url(admin, f"backups/{backup_id}"), headers=admin.headers())
    location: str = r.json()["backup"]["locationRef"]
    return location


def sibling_key(key: str) -> str:
    """Another backup key beside `key` (same project and instance, a new backup id)."""
    project, instance, _ = key.split("/")
    return f"{project}/{instance}/{uuid.uuid4()}.srbk"


def copy_object(plane: ControlPlane, key: str) -> str:
    """A copy of the object at `key` under a key no backup record names."""
    copy = sibling_key(key)
    shutil.copyfile(store_root(plane) / key, store_root(plane) / copy)
    return copy


def write_object(plane: ControlPlane, key: str, data: bytes) -> str:
    path = store_root(plane) / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return key


def test_register_show_restore_and_delete(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    admin = plane.tenant("admin", "admin", "admin")
    with plane.worker():
        source = active_instance(plane, demo)
        original = completed(plane, demo, source, name="nightly")
        key = copy_object(plane, location_of(plane, admin, original))
        data = (store_root(plane) / key).read_bytes()

        # As python-troveclient sends it; the location in its file:// form.
        url = f"file://{store_root(plane) / key}"
        size_gb = round(len(data) / 1024**3, 6)
        r = register(plane, admin, url, description="from the store", size=size_gb)
        assert r.status_code == 202, r.text
        doc = r.json()["backup"]
        assert doc["status"] == "COMPLETED" and doc["instance_id"] is None
        assert doc["size_bytes"] == len(data)
        assert doc["checksum"] == hashlib.sha256(data).hexdigest()
        assert doc["locationRef"] == key and doc["parent_id"] is None
        assert doc["description"] == "from the store"
        assert doc["datastore"] == {
            "type": "mariadb",
            "version": "10.11",
            "version_id": version_id("mariadb"),
        }
        imported = doc["id"]
        shown = plane.client.get(plane.url(admin, f"backups/{imported}"), headers=admin.headers())
        assert shown.json()["backup"] == doc
        # It belongs to the registering project: the object's old project does not see it.
        other = plane.client.get(plane.url(demo, f"backups/{imported}"), headers=demo.headers())
        assert other.status_code == 404 and "itemNotFound" in other.json()

        # It restores like any other backup: the new instance has the backup's data.
        restored = restored_instance(plane, admin, imported, "from-imported")
        assert set(engine(plane, restored)["databases"]) == {"app"}

        # Deleting it deletes its object (it owns it); the original backup keeps its own.
        r = plane.client.delete(plane.url(admin, f"backups/{imported}"), headers=admin.headers())
        assert r.status_code == 202, r.text
        wait_idle(plane, imported)
        gone = plane.client.get(plane.url(admin, f"backups/{imported}"), headers=admin.headers())
        assert gone.status_code == 404
        assert not (store_root(plane) / key).exists()
        assert objects(plane) == [f"{original}.srbk"]


def test_every_bad_registration_is_refused_with_nothing_created(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    reader = plane.tenant("demo", "viewer", "reader")
    admin = plane.tenant("admin", "admin", "admin")
    with plane.worker():
        source = active_instance(plane, demo)
        original = completed(plane, demo, source, name="nightly")
    held = location_of(plane, admin, original)
    good = copy_object(plane, held)
    data = (store_root(plane) / good).read_bytes()
    master = BackupKeys(Keyring(plane.settings.state_dir)).current()
    middle = len(data) // 2
    flipped = data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :]
    foreign = MasterKey("other-region", b"\x07" * 32)
    same_name_other_secret = MasterKey(master.key_id, b"\x09" * 32)
    made = {
        "random": write_object(plane, sibling_key(held), b"not a backup at all" * 100),
        "flipped": write_object(plane, sibling_key(held), flipped),
        "truncated": write_object(plane, sibling_key(held), data[: len(data) - 40]),
        "foreign key": write_object(
            plane, sibling_key(held), b"".join(envelope.seal(iter([b"x" * 1000]), foreign))
        ),
        "other secret": write_object(
            plane,
            sibling_key(held),
            b"".join(envelope.seal(iter([b"x" * 1000]), same_name_other_secret)),
        ),
        "sealed, not zstd": write_object(
            plane, sibling_key(held), b"".join(envelope.seal(iter([b"plain text"]), master))
        ),
    }
    files_before = sorted(str(p) for p in store_root(plane).rglob("*"))
    jobs_before = count_jobs(plane)
    root = store_root(plane)
    pg = version_id("postgresql")
    cases: list[tuple[Tenant, str, dict[str, Any], int, str]] = [
        (demo, good, {}, 403, "backup:restore_from"),
        (reader, good, {}, 403, ""),
        (admin, sibling_key(held), {}, 404, "No object"),
        (admin, "/etc/passwd", {}, 400, "names no object"),
        (admin, "file:///etc/passwd", {}, 400, "names no object"),
        (admin, f"file://{root}/../{good}", {}, 400, "names no object"),
        (admin, f"{root}/{good}?x=1", {}, 400, "not a backup object key"),
        (admin, f"https://swift.example.net/v1/AUTH_x/strongroom_backups/{good}", {}, 400, ""),
        (admin, f"s3://strongroom-backups/{good}", {}, 400, "names no object"),
        (admin, f"../{good}", {}, 400, "not a backup object key"),
        (admin, f"wal/{source}/000000010000000000000001", {}, 400, "not a backup object key"),
        (admin, "", {}, 400, "remote_location"),
        (admin, held, {}, 409, f"belongs to backup {original}"),
        (admin, made["random"], {}, 400, "not a Strongroom backup object"),
        (admin, made["flipped"], {}, 400, "this deployment can read"),
        (admin, made["truncated"], {}, 400, "truncated"),
        (admin, made["foreign key"], {}, 400, "master key is not available"),
        (admin, made["other secret"], {}, 400, "does not unwrap"),
        (admin, made["sealed, not zstd"], {}, 400, "zstd"),
        (admin, good, {"local_datastore_version_id": None}, 400, "local_datastore_version_id"),
        (admin, good, {"local_datastore_version_id": str(uuid.uuid4())}, 404, "could not be"),
        (admin, good, {"local_datastore_version_id": pg}, 400, "of a mariadb 10.11 instance"),
        (admin, good, {"size": 5}, 400, "not the stated size 5"),
        (admin, good, {"size": "big"}, 400, ""),
    ]
    for who, location, extra, status, words in cases:
        r = register(plane, who, location, **extra)
        assert r.status_code == status, (location, extra, r.text)
        fault = next(iter(r.json().values()))
        assert fault["code"] == status and words in fault["message"], (location, r.text)

    # The body's other shapes.
    url = plane.url(admin, "backups")
    restore_from = {"remote_location": good, "local_datastore_version_id": version_id("mariadb")}
    for backup in (
        {"name": "x", "instance": source, "restore_from": restore_from},
        {"name": "x", "restore_from": {"local_datastore_version_id": "x"}},
        {"name": "", "restore_from": restore_from},
        {"name": "x", "restore_from": "somewhere"},
    ):
        r = plane.client.post(url, json={"backup": backup}, headers=admin.headers())
        assert r.status_code == 400 and "badRequest" in r.json(), r.text

    # Quotas apply: the object's size counts at once.
    quota = plane.url(admin, f"mgmt/quotas/{admin.project_id}")
    body = {"quotas": {"backup_gigabytes": 0}}
    assert plane.client.put(quota, json=body, headers=admin.headers()).status_code == 200
    r = register(plane, admin, good)
    assert r.status_code == 413 and "backup storage" in r.json()["overLimit"]["message"], r.text
    body = {"quotas": {"backup_gigabytes": -1, "backups": 0}}
    assert plane.client.put(quota, json=body, headers=admin.headers()).status_code == 200
    r = register(plane, admin, good)
    assert r.status_code == 413 and "Quota exceeded for backups" in r.text, r.text

    # Nothing was created: no record, no job, no object added or removed.
    everyone = plane.client.get(
        plane.url(admin, "backups"), params={"all_projects": "true"}, headers=admin.headers()
    ).json()["backups"]
    assert [b["id"] for b in everyone] == [original]
    assert count_jobs(plane) == jobs_before
    assert sorted(str(p) for p in store_root(plane).rglob("*")) == files_before


def test_concurrent_registrations_of_one_object_make_one_backup(plane: ControlPlane) -> None:
    """Two backups owning one object would each delete it: one registration wins, whichever
    project asks, and the others are 409s."""
    demo = plane.tenant("demo", "demo", "member")
    admin = plane.tenant("admin", "admin", "admin")
    ops = plane.tenant("ops", "ops", "admin")
    with plane.worker():
        source = active_instance(plane, demo)
        original = completed(plane, demo, source, name="nightly")
    held = location_of(plane, admin, original)
    key = copy_object(plane, held)
    answers: list[int] = []

    def attempt(who: Tenant) -> None:
        answers.append(register(plane, who, key).status_code)

    threads = [threading.Thread(target=attempt, args=(w,)) for w in (admin, ops, admin, ops)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [202, 409, 409, 409]
    everyone = plane.client.get(
        plane.url(admin, "backups"), params={"all_projects": "true"}, headers=admin.headers()
    ).json()["backups"]
    assert sorted(b["locationRef"] for b in everyone) == sorted([key, held])
