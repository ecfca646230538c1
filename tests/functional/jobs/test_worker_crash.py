"""SIGKILL a worker at every step boundary (and inside every operation) of create and delete;
a fresh worker must finish each run: ACTIVE, deleted, or a clean ERROR — nothing leaked."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from strongroom.store.models import Job, Port
from strongroom.workflows.instances import create_instance, delete_instance
from tests.functional.api.test_instance_lifecycle import CREATE, fake_resources
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.functional

ALL_KINDS = ["agent", "files", "firewall", "plug", "prepared", "sandbox", "volume"]
CREATE_STEPS = len(create_instance.steps)
DELETE_STEPS = len(delete_instance.steps)
# A failure in the last-but-one step (prepare) is undone step by step back to the first.
ROLLBACK_CHECKPOINTS = (CREATE_STEPS - 2) + 1 + (CREATE_STEPS - 1)


def run_crashing_worker(
    plane: ControlPlane, tmp: Path, *, after: int = 0, inside: str = "", fail_in: str = ""
) -> None:
    """Run a worker process that kills itself at the given point; wait until it is dead."""
    config = tmp / f"crash-{after}-{inside or 'none'}.toml"
    lines = [
        f'state_dir = "{plane.settings.state_dir}"',
        "[database]",
        f'url = "{plane.settings.database_url()}"',
        "[worker]",
        f"lease_seconds = {plane.settings.worker.lease_seconds}",
        f"poll_seconds = {plane.settings.worker.poll_seconds}",
    ]
    if after:
        lines.append(f"crash_after_checkpoint = {after}")
    lines += ["[drivers]", 'backend = "fake"', "[drivers.fake]"]
    lines += [f'crash_in = "{inside}"', f'fail_in = "{fail_in}"']
    config.write_text("\n".join(lines) + "\n")
    proc = subprocess.Popen(
        # setpriv: the worker is SIGKILLed if pytest dies, so an aborted run leaves none behind
        [
            "setpriv",
            "--pdeathsig",
            "KILL",
            "--",
            sys.executable,
            "-m",
            "strongroom.cli.worker",
            "--config",
            str(config),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stderr is not None
        err = proc.stderr.read().decode()
        proc.stderr.close()
    assert code == -9, f"the worker did not crash where told (exit {code}):\n{err[-2000:]}"


def create(plane: ControlPlane, demo: Tenant) -> str:
    r = plane.client.post(plane.url(demo, "instances"), json=CREATE, headers=demo.headers())
    assert r.status_code == 200, r.text
    return str(r.json()["instance"]["id"])


def resume(plane: ControlPlane, demo: Tenant, instance_id: str, wanted: set[str]) -> str:
    """Run a healthy worker until every job has ended; the instance's final status."""
    with plane.worker():
        deadline = time.monotonic() + 60
        while unfinished_jobs(plane):
            assert time.monotonic() < deadline, "a job never finished"
            time.sleep(0.05)
    return str(plane.wait_status(demo, instance_id, wanted | {"ERROR"}, timeout=1)["status"])


def unfinished_jobs(plane: ControlPlane) -> int:
    with plane.db.read() as s:
        query = select(func.count()).where(Job.state.in_(("pending", "running")))
        return int(s.scalar(query) or 0)


def ports_held(plane: ControlPlane, instance_id: str) -> int:
    with plane.db.read() as s:
        return int(s.scalar(select(func.count()).where(Port.instance_id == instance_id)) or 0)


def kinds(plane: ControlPlane, instance_id: str) -> list[str]:
    """The kinds of fake infrastructure the instance holds (monitoring's own records, which a
    collector may write at any moment, are not infrastructure)."""
    found = {p.split("/")[0] for p in fake_resources(plane, instance_id)}
    return sorted(found - {"usage-ticks"})


@pytest.mark.parametrize("after", range(1, CREATE_STEPS + 1))
def test_create_survives_a_kill_after_each_checkpoint(
    plane: ControlPlane, tmp_path: Path, after: int
) -> None:
    demo = plane.tenant("demo", "demo", "member")
    instance_id = create(plane, demo)
    run_crashing_worker(plane, tmp_path, after=after)
    assert resume(plane, demo, instance_id, {"ACTIVE"}) == "ACTIVE"
    assert kinds(plane, instance_id) == ALL_KINDS
    assert ports_held(plane, instance_id) == 2


@pytest.mark.parametrize(
    "inside",
    [
        "compute.create_sandbox",
        "network.plug",
        "volume.create",
        "network.apply_firewall",
        "compute.install_files",
        "compute.start_agent",
        "guest.prepare",
    ],
)
def test_create_survives_a_kill_inside_each_operation(
    plane: ControlPlane, tmp_path: Path, inside: str
) -> None:
    demo = plane.tenant("demo", "demo", "member")
    instance_id = create(plane, demo)
    run_crashing_worker(plane, tmp_path, inside=inside)
    assert resume(plane, demo, instance_id, {"ACTIVE"}) == "ACTIVE"
    assert kinds(plane, instance_id) == ALL_KINDS


@pytest.mark.parametrize("after", range(CREATE_STEPS - 1, ROLLBACK_CHECKPOINTS + 1))
def test_rollback_survives_a_kill_after_each_checkpoint(
    plane: ControlPlane, tmp_path: Path, after: int
) -> None:
    """Prepare fails for good; the worker dies while undoing; the next one finishes the undo."""
    demo = plane.tenant("demo", "demo", "member")
    instance_id = create(plane, demo)
    run_crashing_worker(plane, tmp_path, after=after, fail_in="guest.prepare")
    plane.settings = plane.settings.model_copy(
        update={
            "drivers": plane.settings.drivers.model_copy(
                update={
                    "fake": plane.settings.drivers.fake.model_copy(
                        update={"fail_in": "guest.prepare"}
                    )
                }
            )
        }
    )
    assert resume(plane, demo, instance_id, set()) == "ERROR"
    assert kinds(plane, instance_id) == []
    assert ports_held(plane, instance_id) == 0


@pytest.mark.parametrize("after", range(1, DELETE_STEPS + 1))
def test_delete_survives_a_kill_after_each_checkpoint(
    plane: ControlPlane, tmp_path: Path, after: int
) -> None:
    demo = plane.tenant("demo", "demo", "member")
    instance_id = create(plane, demo)
    assert resume(plane, demo, instance_id, {"ACTIVE"}) == "ACTIVE"
    r = plane.client.delete(plane.url(demo, f"instances/{instance_id}"), headers=demo.headers())
    assert r.status_code == 202
    run_crashing_worker(plane, tmp_path, after=after)
    assert resume(plane, demo, instance_id, {"DELETED"}) == "DELETED"
    assert kinds(plane, instance_id) == []
    assert ports_held(plane, instance_id) == 0
