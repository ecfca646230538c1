"""Fixtures for the security e2e tests: a local-backend run of their own (prefix, state dir,
/24s), swept and leak-checked at the end even when a test fails."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from strongroom.worker.service import Worker
from tests.e2e.local_backend.local_backend_harness import (
    LocalRun,
    free_subnets,
    inventory,
    local_settings,
    sweep,
)
from tests.support.controlplane import ControlPlane, Tenant


@pytest.fixture(scope="module")
def local_run() -> Iterator[LocalRun]:
    if os.geteuid() != 0:
        pytest.skip("the local backend needs root")
    prefix = "sc" + secrets.token_hex(3)
    state_dir = Path(tempfile.mkdtemp(prefix=f"strongroom-{prefix}-", dir="/tmp"))
    state_dir.chmod(0o755)  # the engine's OS user reads its data dir below
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
    cp = ControlPlane(local_settings(local_run))
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
