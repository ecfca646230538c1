"""Fixtures for agent e2e tests (the harness is in `agent_e2e_harness`)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from agent_e2e_harness import Agent, Pki, processes_mentioning, stop_pid

from strongroom.pki import CertificateAuthority
from tests.support.datastore_clients import CLIENTS, DatastoreClient


@pytest.fixture(scope="session")
def e2e_root() -> Iterator[Path]:
    """A temp dir unique to the run, traversable by the `mysql` user; must end up unused."""
    root = Path(tempfile.mkdtemp(prefix="strongroom-agent-e2e-", dir="/tmp"))
    root.chmod(0o755)
    yield root
    leftovers = processes_mentioning(str(root))
    for pid, _ in leftovers:
        stop_pid(pid, str(root))
    shutil.rmtree(root, ignore_errors=True)
    assert not leftovers, f"processes outlived the tests: {leftovers}"


@pytest.fixture(scope="session")
def pki(e2e_root: Path) -> Pki:
    """The control plane's PKI in the run's temp dir."""
    directory = e2e_root / "pki"
    ca = CertificateAuthority.load_or_create(directory / "ca")
    client = ca.ensure_client_certificate(directory / "control-plane")
    return Pki(directory=directory, ca=ca, client=client)


@pytest.fixture(scope="module")
def agents(e2e_root: Path, pki: Pki) -> Iterator[dict[str, Agent]]:
    """A registry of started agents; every one is cleaned up when the module ends."""
    started: dict[str, Agent] = {}
    yield started
    for agent in started.values():
        agent.cleanup()


@pytest.fixture(scope="module", params=sorted(CLIENTS))
def datastore(request: pytest.FixtureRequest) -> DatastoreClient:
    """Each datastore in turn, for the modules whose tests take it (a module's agents of one
    datastore are prepared once and used by all its tests)."""
    return CLIENTS[request.param]
