"""Harness for the local backend's e2e tests: a run with its own prefix, state dir and /24s,
an inventory of everything on the host that carries the run's prefix, and a sweep; the
instance `CREATE` body the tests share and an instance that is deleted at the end."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import secrets
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

from strongroom.config import Settings
from strongroom.config.settings import DriverSettings, LocalDriverSettings, NetworkSettings
from strongroom.drivers.linux import cgroups, links, nftables, processes, volumes
from tests.support.controlplane import ControlPlane, Tenant, make_settings
from tests.support.datastore_clients import DatastoreClient

FORBIDDEN = IPv4Network("198.18.0.0/22")  # what `make run` uses: never touched by tests
USER, PASSWORD = "app", "S3cret-pass"
"""The user every test instance is created with."""
INSTANCE_TIMEOUT = 180.0
"""How long an instance may take to be ACTIVE, or to be deleted."""


@dataclass(frozen=True)
class LocalRun:
    """One test run: every host object it makes carries `prefix` or lives under `state_dir`."""

    prefix: str
    state_dir: Path
    management: IPv4Network
    public: IPv4Network

    def networks(self) -> list[NetworkSettings]:
        return [
            NetworkSettings(name="management", role="management", cidr=str(self.management)),
            NetworkSettings(name="public", role="user", cidr=str(self.public)),
        ]


def local_settings(run: LocalRun) -> Settings:
    """Control-plane settings on SQLite in the run's state dir with the local backend."""
    return make_settings(run.state_dir, f"sqlite:///{run.state_dir / 'control.db'}").model_copy(
        update={
            "networks": run.networks(),
            "drivers": DriverSettings(
                backend="local", local=LocalDriverSettings(name_prefix=run.prefix)
            ),
        }
    )


@dataclass
class Inventory:
    """What of a run exists on the host (bridges are shared by instances, listed apart)."""

    netns: list[str] = field(default_factory=list)
    veths: list[str] = field(default_factory=list)
    loops: list[str] = field(default_factory=list)
    mounts: list[str] = field(default_factory=list)
    volume_files: list[str] = field(default_factory=list)
    pids: list[int] = field(default_factory=list)
    cgroups: list[str] = field(default_factory=list)
    bridges: list[str] = field(default_factory=list)

    def instance_leftovers(self) -> dict[str, list[str] | list[int]]:
        """Everything an instance owns (not the bridges), non-empty kinds only."""
        kinds = {k: v for k, v in vars(self).items() if k != "bridges"}
        return {k: v for k, v in kinds.items() if v}


def _routes() -> list[dict[str, str]]:
    out = subprocess.run(["ip", "-j", "-4", "route", "show"], capture_output=True, check=True)
    routes: list[dict[str, str]] = json.loads(out.stdout or b"[]")
    return routes


def free_subnets(count: int = 2) -> list[IPv4Network]:
    """`count` distinct random /24s in 198.19.0.0/16 that no route of the host uses."""
    used = [
        ipaddress.ip_network(r["dst"])
        for r in _routes()
        if r.get("dst", "default") != "default" and r.get("type") != "unreachable"
    ]
    chosen: list[IPv4Network] = []
    while len(chosen) < count:
        net = IPv4Network(f"198.19.{secrets.randbelow(256)}.0/24")
        clash = any(net.overlaps(u) for u in used) or net in chosen or net.overlaps(FORBIDDEN)
        if not clash:
            chosen.append(net)
    return chosen


def pids_mentioning(text: str) -> list[int]:
    """Live processes (not this one) whose command line contains `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            args = processes.cmdline(int(entry.name))
            if args and text in " ".join(args):
                found.append(int(entry.name))
    return sorted(found)


def inventory(run: LocalRun) -> Inventory:
    where = f"{run.state_dir}/"
    namespaces = links.list_netns(f"{run.prefix}-")
    groups = cgroups.list_groups(run.prefix)
    pids = set(pids_mentioning(str(run.state_dir)))
    for ns in namespaces:
        pids.update(processes.netns_pids(ns))
    pids.update(cgroups.group_pids(run.prefix))
    bridges = links.list_links(f"{run.prefix}-")
    volume_dir = run.state_dir / "volumes"
    return Inventory(
        netns=namespaces,
        veths=links.list_links(f"{run.prefix}v"),
        loops=[
            f"{d.name} {d.backing_file}{' (deleted)' if d.deleted else ''}"
            for d in volumes.list_loop_devices(where)
        ],
        mounts=[m.target for m in volumes.list_mounts(where)],
        volume_files=sorted(p.name for p in volume_dir.glob("*")) if volume_dir.is_dir() else [],
        pids=sorted(pids),
        cgroups=[f"{run.prefix}/{g}" for g in groups],
        bridges=bridges,
    )


def sweep(run: LocalRun) -> None:
    """Remove everything of the run, bridges and the cgroup root included (not the route)."""
    found = inventory(run)
    for pid in found.pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    cgroups.kill_group(run.prefix)
    for target in sorted(found.mounts, key=len, reverse=True):
        volumes.unmount(Path(target))
    for dev in volumes.list_loop_devices(f"{run.state_dir}/"):
        volumes.detach_loop_devices(Path(dev.backing_file))
    cgroups.remove_group(run.prefix)
    for ns in found.netns:
        links.delete_netns(ns)
    for name in links.list_links(run.prefix):
        links.delete_link(name)
    nftables.delete_host_guard(f"{run.prefix}_host")


def create_body(
    name: str, database: str = "app", datastore: DatastoreClient | None = None
) -> dict[str, Any]:
    """The `POST /instances` body of a tiny public instance (MariaDB 10.11 unless
    `datastore`) with one database and `USER` granted on it."""
    kind = {"type": "mariadb", "version": "10.11"}
    if datastore is not None:
        kind = {"type": datastore.name, "version": datastore.version}
    return {
        "instance": {
            "name": name,
            "flavorRef": "sr.tiny",
            "volume": {"size": 1, "type": None},
            "datastore": kind,
            "databases": [{"name": database}],
            "users": [{"name": USER, "password": PASSWORD, "databases": [{"name": database}]}],
            "access": {"is_public": True},
        }
    }


@contextlib.contextmanager
def created_instance(
    plane: ControlPlane, demo: Tenant, body: dict[str, Any], *, require_active: bool = True
) -> Iterator[dict[str, Any]]:
    """Create an instance from `body` and yield its document once ACTIVE (or ERROR, unless
    `require_active`); delete it at the end and wait until it is gone."""
    r = plane.client.post(plane.url(demo, "instances"), json=body, headers=demo.headers())
    assert r.status_code == 200, r.text
    instance_id = r.json()["instance"]["id"]
    try:
        doc = plane.wait_status(demo, instance_id, {"ACTIVE", "ERROR"}, timeout=INSTANCE_TIMEOUT)
        if require_active:
            assert doc["status"] == "ACTIVE", doc
        yield doc
    finally:
        plane.client.delete(plane.url(demo, f"instances/{instance_id}"), headers=demo.headers())
        plane.wait_status(demo, instance_id, {"DELETED", "ERROR"}, timeout=INSTANCE_TIMEOUT)
