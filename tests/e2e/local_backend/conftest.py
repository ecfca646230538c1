"""Fixtures for the local backend: a control plane on SQLite with `backend="local"`, a unique
prefix and a unique pair of /24s; everything of the run is swept even when a test fails."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from local_backend_harness import LocalRun, free_subnets, inventory, local_settings, sweep

from strongroom.worker.service import Worker
from tests.support.controlplane import ControlPlane, Tenant
from tests.support.datastore_clients import CLIENTS, DatastoreClient


@pytest.fixture(scope="module")
def local_run() -> Iterator[LocalRun]:
    if os.geteuid() != 0:
        pytest.skip("the local backend needs root")
    prefix = "lb" + secrets.token_hex(3)
    # The MariaDB data dir lives below: every directory on the way must be traversable.
    state_dir = Path(tempfile.mkdtemp(prefix=f"strongroom-{prefix}-", dir="/tmp"))
    state_dir.chmod(0o755)
    management, public = free_subnets(2)
    run = LocalRun(prefix=prefix, state_dir=state_dir, management=management, public=public)
    try:
        yield run
    finally:
        sweep(run)
        left = inventory(run)
        shutil.rmtree(state_dir, ignore_errors=True)
        assert not left.instance_leftovers() and not left.bridges, f"sweep left {left}"


@pytest.fixture(scope="module")
def plane(local_run: LocalRun) -> Iterator[ControlPlane]:
    settings = local_settings(local_run)
    cp = ControlPlane(settings)
    try:
        yield cp
    finally:
        cp.close()


@pytest.fixture(scope="module")
def worker(plane: ControlPlane) -> Iterator[Worker]:
    with plane.worker() as running:
        yield running


@pytest.fixture(scope="module")
def demo(plane: ControlPlane) -> Tenant:
    return plane.tenant("demo", "demo", "member")


@pytest.fixture(scope="module", params=sorted(CLIENTS))
def datastore(request: pytest.FixtureRequest) -> DatastoreClient:
    """Each datastore in turn, for the tests that take it (one instance per datastore)."""
    return CLIENTS[request.param]
