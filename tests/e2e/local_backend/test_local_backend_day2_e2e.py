"""Configuration groups and actions on a real instance of each datastore through the Trove
API: values read back from the running engine as a user sees them, a static one waits for the
restart, detach returns to defaults; a flavor resize changes the cgroup limits and the engine
sizing, a volume grow the file system, and data and address survive both."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from local_backend_harness import (
    INSTANCE_TIMEOUT,
    PASSWORD,
    USER,
    create_body,
    created_instance,
)

from strongroom.drivers.linux import cgroups
from strongroom.drivers.local_layout import HostLayout
from strongroom.worker.service import Worker
from tests.functional.api.day2_support import events, wait_idle
from tests.support.controlplane import ControlPlane, Tenant
from tests.support.datastore_clients import MARIADB as _MARIADB
from tests.support.datastore_clients import DatastoreClient

pytestmark = pytest.mark.e2e

CREATE = create_body("day2")
MIB = 1024 * 1024


@dataclass(frozen=True)
class Day2Case:
    """Settings of one datastore the API offers, as this module uses them."""

    live: dict[str, int]
    """Values a configuration group applies without a restart."""
    static: str
    flip: Callable[[str], tuple[Any, str]]
    """For the static setting's current value: a different value and how the engine shows it."""
    buffer: str
    """The setting sized from the flavor's memory."""
    slow_switch: tuple[str, str, str]
    """The setting the slow query log switches: name, value on, value off."""
    ready_text: str
    """What the engine's log says once it accepts connections."""


CASES = {
    "mariadb": Day2Case(
        live={"max_connections": 321, "wait_timeout": 77},
        static="performance_schema",
        flip=lambda now: (now == "OFF", "ON" if now == "OFF" else "OFF"),
        buffer="innodb_buffer_pool_size",
        slow_switch=("slow_query_log", "ON", "OFF"),
        ready_text="ready for connections",
    ),
    "postgresql": Day2Case(
        live={"work_mem": 8192, "statement_timeout": 77000},
        static="max_locks_per_transaction",
        flip=lambda now: (int(now) * 2, str(int(now) * 2)),
        buffer="shared_buffers",
        slow_switch=("log_min_duration_statement", "1000", "-1"),
        ready_text="ready to accept connections",
    ),
}


@pytest.fixture(scope="module")
def instance(
    plane: ControlPlane, worker: Worker, demo: Tenant, datastore: DatastoreClient
) -> Iterator[dict[str, Any]]:
    with created_instance(plane, demo, create_body("day2", datastore=datastore)) as doc:
        yield {**doc, "datastore_client": datastore}


def api(plane: ControlPlane, demo: Tenant, method: str, path: str, body: Any = None) -> Any:
    r = plane.client.request(method, plane.url(demo, path), json=body, headers=demo.headers())
    assert r.status_code < 300, (method, path, r.text)
    return r.json() if r.content else None


def client_of(doc: dict[str, Any]) -> DatastoreClient:
    return doc.get("datastore_client") or _MARIADB


def variables(doc: dict[str, Any], *names: str) -> dict[str, str]:
    """Server settings as the user reads them over TCP with the datastore's driver."""
    datastore = client_of(doc)
    address = doc["addresses"][0]["address"]
    with datastore.session(address, datastore.port, USER, PASSWORD, "app") as session:
        return {name: datastore.setting(session, name) for name in names}


def rows(doc: dict[str, Any], sql: str) -> list[Any]:
    datastore = client_of(doc)
    address = doc["addresses"][0]["address"]
    with datastore.session(address, datastore.port, USER, PASSWORD, "app") as session:
        return session.query(sql)


def status(plane: ControlPlane, demo: Tenant, doc: dict[str, Any]) -> dict[str, Any]:
    wait_idle(plane, doc["id"], timeout=INSTANCE_TIMEOUT)
    shown: dict[str, Any] = api(plane, demo, "GET", f"instances/{doc['id']}")["instance"]
    return shown


def test_configuration_live_static_and_detach(
    instance: dict[str, Any], plane: ControlPlane, demo: Tenant, datastore: DatastoreClient
) -> None:
    case = CASES[datastore.name]
    watched = sorted([*case.live, case.static])
    before = variables(instance, *watched)
    flipped, shown_flipped = case.flip(before[case.static])  # a static value unlike now's
    values = {**case.live, case.static: flipped}
    body = {
        "configuration": {
            "name": f"tuned-{datastore.name}",
            "values": values,
            "datastore": {"type": datastore.name, "version": datastore.version},
        }
    }
    cid = api(plane, demo, "POST", "configurations", body)["configuration"]["id"]
    iid = instance["id"]
    api(plane, demo, "PUT", f"instances/{iid}", {"instance": {"configuration": cid}})
    assert status(plane, demo, instance)["status"] == "RESTART_REQUIRED", events(plane, iid)
    live = {name: str(value) for name, value in case.live.items()}
    assert variables(instance, *watched) == {**before, **live}, "live ones only"

    api(plane, demo, "POST", f"instances/{iid}/action", {"restart": {}})
    assert status(plane, demo, instance)["status"] == "ACTIVE"
    assert variables(instance, *watched) == {**live, case.static: shown_flipped}

    api(plane, demo, "PUT", f"instances/{iid}", {"instance": {"configuration": None}})
    assert status(plane, demo, instance)["status"] == "RESTART_REQUIRED"
    api(plane, demo, "POST", f"instances/{iid}/action", {"restart": {}})
    assert status(plane, demo, instance)["status"] == "ACTIVE"
    assert variables(instance, *watched) == before
    api(plane, demo, "DELETE", f"configurations/{cid}")


def test_resize_flavor_then_volume_keeps_data_and_address(
    instance: dict[str, Any], plane: ControlPlane, demo: Tenant, datastore: DatastoreClient
) -> None:
    iid = instance["id"]
    buffer = CASES[datastore.name].buffer
    rows(instance, "CREATE TABLE kept (id INT PRIMARY KEY)")
    rows(instance, "INSERT INTO kept VALUES (42)")
    pool_before = int(variables(instance, buffer)[buffer])

    api(plane, demo, "POST", f"instances/{iid}/action", {"resize": {"flavorRef": "sr.small"}})
    shown = status(plane, demo, instance)
    assert shown["status"] == "ACTIVE" and shown["flavor"]["id"] == "2"
    assert shown["addresses"] == instance["addresses"]
    layout = HostLayout.from_settings(plane.settings)
    assert cgroups.read_limits(layout.cgroup(iid)).memory_bytes == 1024 * MIB
    pool_after = int(variables(instance, buffer)[buffer])
    assert pool_after > pool_before
    assert rows(instance, "SELECT id FROM kept") == [(42,)]

    api(plane, demo, "POST", f"instances/{iid}/action", {"resize": {"volume": {"size": 2}}})
    shown = status(plane, demo, instance)
    assert shown["status"] == "ACTIVE" and shown["volume"]["size"] == 2
    assert shown["addresses"] == instance["addresses"]
    fs = os.statvfs(layout.mountpoint(iid))
    assert fs.f_blocks * fs.f_frsize > 1.5 * 1024**3
    assert rows(instance, "SELECT id FROM kept") == [(42,)]
    shrink = {"resize": {"volume": {"size": 1}}}
    r = plane.client.post(
        plane.url(demo, f"instances/{iid}/action"), json=shrink, headers=demo.headers()
    )
    assert r.status_code == 400


def test_logs_switch_in_the_running_engine(
    instance: dict[str, Any], plane: ControlPlane, demo: Tenant, datastore: DatastoreClient
) -> None:
    case = CASES[datastore.name]
    switch, on, off = case.slow_switch
    path = f"instances/{instance['id']}/log"
    listed = {g["name"]: g for g in api(plane, demo, "GET", path)["logs"]}
    assert listed["error"]["type"] == "SYS" and listed["slow_query"]["status"] == "Disabled"
    api(plane, demo, "POST", path, {"name": "slow_query", "enable": 1})
    status(plane, demo, instance)
    assert variables(instance, switch) == {switch: on}
    api(plane, demo, "POST", path, {"name": "slow_query", "disable": 1})
    status(plane, demo, instance)
    assert variables(instance, switch) == {switch: off}
    shown = api(plane, demo, "POST", path, {"name": "slow_query"})["log"]
    assert shown["status"] == "Disabled"

    # Publish the engine's error log into the object store and download it.
    api(plane, demo, "POST", path, {"name": "error", "publish": 1})
    wait_idle(plane, instance["id"], timeout=60)
    shown = api(plane, demo, "POST", path, {"name": "error"})["log"]
    r = plane.client.get(plane.url(demo, f"{path}/error"), headers=demo.headers())
    assert r.status_code == 200 and shown["published"] == len(r.content) > 0
    assert case.ready_text in r.text


def test_a_group_given_at_create_is_running_when_active(
    plane: ControlPlane, worker: Worker, demo: Tenant
) -> None:
    values = {"max_connections": 222, "innodb_read_io_threads": 2}
    mariadb = {"type": "mariadb", "version": "10.11"}
    body = {"configuration": {"name": "at-create", "values": values, "datastore": mariadb}}
    cid = api(plane, demo, "POST", "configurations", body)["configuration"]["id"]
    create = {"instance": {**CREATE["instance"], "name": "configured", "configuration": cid}}
    iid = api(plane, demo, "POST", "instances", create)["instance"]["id"]
    try:
        doc = plane.wait_status(demo, iid, {"ACTIVE", "ERROR"}, timeout=INSTANCE_TIMEOUT)
        shown = status(plane, demo, doc)
        assert shown["status"] == "ACTIVE", events(plane, iid)
        seen = variables(shown, "max_connections", "innodb_read_io_threads")
        assert seen == {"max_connections": "222", "innodb_read_io_threads": "2"}
    finally:
        plane.client.delete(plane.url(demo, f"instances/{iid}"), headers=demo.headers())
        plane.wait_status(demo, iid, {"DELETED", "ERROR"}, timeout=INSTANCE_TIMEOUT)
    api(plane, demo, "DELETE", f"configurations/{cid}")
