"""Fixtures shared by every tier: a throwaway PostgreSQL, control DBs of both kinds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.controlplane import ControlPlane, make_settings
from tests.support.pgcluster import PgCluster


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    cluster = PgCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def control_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty control DB of each supported kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'control.db'}"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database()


@pytest.fixture
def plane(tmp_path: Path, control_db_url: str) -> Iterator[ControlPlane]:
    cp = ControlPlane(make_settings(tmp_path / "state", control_db_url))
    try:
        yield cp
    finally:
        cp.close()
