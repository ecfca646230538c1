"""SIGKILL a worker on the local backend after every checkpoint of create and of delete: a fresh
worker finishes the job (ACTIVE or deleted) and nothing of the instance is left on the host."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from local_backend_harness import LocalRun, inventory
from sqlalchemy import func, select

from strongroom.store.models import Job
from strongroom.workflows.instances import create_instance, delete_instance
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.e2e

CREATE = {
    "instance": {
        "name": "crashy",
        "flavorRef": "sr.tiny",
        "volume": {"size": 1},
        "datastore": {"type": "mariadb", "version": "10.11"},
        "databases": [{"name": "app"}],
        "users": [{"name": "app", "password": "S3cret-pass", "databases": [{"name": "app"}]}],
        "access": {"is_public": True},
    }
}
TIMEOUT = 120.0


def worker_config(plane: ControlPlane, run: LocalRun, crash_after: int) -> Path:
    """A worker config for this control plane that SIGKILLs itself after `crash_after`."""
    settings = plane.settings
    lines = [
        f'state_dir = "{settings.state_dir}"',
        "[database]",
        f'url = "{settings.database_url()}"',
        "[worker]",
        f"lease_seconds = {settings.worker.lease_seconds}",
        f"poll_seconds = {settings.worker.poll_seconds}",
        f"crash_after_checkpoint = {crash_after}",
        "[drivers]",
        'backend = "local"',
        "[drivers.local]",
        f'name_prefix = "{run.prefix}"',
    ]
    for net in settings.networks:
        lines += ["[[networks]]", f'name = "{net.name}"', f'role = "{net.role}"']
        lines.append(f'cidr = "{net.cidr}"')
    path = run.state_dir / f"crash-worker-{crash_after}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def run_crashing_worker(plane: ControlPlane, run: LocalRun, crash_after: int) -> None:
    config = worker_config(plane, run, crash_after)
    proc = subprocess.Popen(
        [sys.executable, "-m", "strongroom.cli.worker", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == -9, f"no crash (exit {proc.returncode}):\n{err.decode()[-2000:]}"


def finish_jobs(plane: ControlPlane) -> None:
    """Run a healthy worker until no job is pending or running."""
    with plane.worker():
        deadline = time.monotonic() + TIMEOUT
        while _unfinished(plane):
            assert time.monotonic() < deadline, "a job never finished"
            time.sleep(0.1)


def _unfinished(plane: ControlPlane) -> int:
    with plane.db.read() as s:
        query = select(func.count()).where(Job.state.in_(("pending", "running")))
        return int(s.scalar(query) or 0)


def status(plane: ControlPlane, demo: Tenant, instance_id: str) -> str:
    """The final status, with the fault when there is one (so a failure says why)."""
    doc = plane.wait_status(demo, instance_id, {"ACTIVE", "ERROR", "DELETED"})
    fault = doc.get("fault")
    return f"{doc['status']}: {fault}" if fault else str(doc["status"])


@pytest.mark.parametrize("after", range(1, len(create_instance.steps) + 1))
def test_create_survives_a_kill_after_each_checkpoint(
    plane: ControlPlane, demo: Tenant, local_run: LocalRun, after: int
) -> None:
    r = plane.client.post(plane.url(demo, "instances"), json=CREATE, headers=demo.headers())
    instance_id = r.json()["instance"]["id"]
    try:
        run_crashing_worker(plane, local_run, after)
        finish_jobs(plane)
        assert status(plane, demo, instance_id) == "ACTIVE"
    finally:
        plane.client.delete(plane.url(demo, f"instances/{instance_id}"), headers=demo.headers())
        finish_jobs(plane)
    assert status(plane, demo, instance_id) == "DELETED"
    assert inventory(local_run).instance_leftovers() == {}


@pytest.mark.parametrize("after", range(1, len(delete_instance.steps) + 1))
def test_delete_survives_a_kill_after_each_checkpoint(
    plane: ControlPlane, demo: Tenant, local_run: LocalRun, after: int
) -> None:
    r = plane.client.post(plane.url(demo, "instances"), json=CREATE, headers=demo.headers())
    instance_id = r.json()["instance"]["id"]
    finish_jobs(plane)
    assert status(plane, demo, instance_id) == "ACTIVE"
    plane.client.delete(plane.url(demo, f"instances/{instance_id}"), headers=demo.headers())
    run_crashing_worker(plane, local_run, after)
    finish_jobs(plane)
    assert status(plane, demo, instance_id) == "DELETED"
    assert inventory(local_run).instance_leftovers() == {}
