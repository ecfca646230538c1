"""Several workers share one queue; a control DB behind the code is refused."""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import select

from strongroom.contracts.errors import ConfigError
from strongroom.store.database import Database
from strongroom.store.models import Job
from strongroom.worker.service import Worker
from tests.functional.api.test_instance_lifecycle import CREATE
from tests.support.controlplane import ControlPlane, make_settings

pytestmark = pytest.mark.functional


def test_three_workers_run_every_job_once(plane: ControlPlane) -> None:
    demo = plane.tenant("demo", "demo", "member")
    ids = []
    for n in range(8):
        doc = {"instance": {**CREATE["instance"], "name": f"db{n}"}}
        r = plane.client.post(plane.url(demo, "instances"), json=doc, headers=demo.headers())
        assert r.status_code == 200, r.text
        ids.append(r.json()["instance"]["id"])
    with ExitStack() as stack:
        for _ in range(3):
            stack.enter_context(plane.worker())
        for instance_id in ids:
            assert plane.wait_status(demo, instance_id, {"ACTIVE", "ERROR"})["status"] == "ACTIVE"
        deadline = time.monotonic() + 30
        while True:
            with plane.db.read() as s:
                jobs = list(s.scalars(select(Job)))
            if all(j.state == "succeeded" for j in jobs) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    assert sorted(j.resource_id for j in jobs) == sorted(ids)
    assert all(j.state == "succeeded" for j in jobs)
    assert all(j.attempts == 1 for j in jobs), "a job was claimed twice while its lease was held"
    assert all(j.sealed_secrets is None for j in jobs), "finished jobs keep no secrets"


def test_a_control_db_behind_the_code_is_refused(tmp_path: Path, control_db_url: str) -> None:
    settings = make_settings(tmp_path, control_db_url)
    Database(control_db_url).engine.dispose()
    with pytest.raises(ConfigError, match="strongroom db upgrade"):
        Worker(settings)
