"""Backups through the Trove API with the store set to Swift or S3 (the real loopback Swift,
over TLS): a full and an incremental backup, a restore of the chain into a new instance that
has the data as of the incremental, and deletes that leave nothing in the store (segments and
parts included). The fake backend stands in for instances; the pipeline and store are real."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from strongroom.config.settings import BackupSettings
from tests.functional.api.day2_support import active_instance, engine, wait_idle
from tests.functional.api.test_backups import add_database, completed, restored_instance
from tests.functional.objectstore.conftest import (
    s3_holdings,
    s3_settings,
    swift_names,
    swift_settings,
)
from tests.support.controlplane import ControlPlane, make_settings
from tests.support.swift import SwiftServer

pytestmark = pytest.mark.functional


@pytest.fixture(params=["swift", "s3"])
def store_plane(
    request: pytest.FixtureRequest, tmp_path: Path, swift_server: SwiftServer
) -> Iterator[tuple[ControlPlane, str]]:
    kind = request.param
    section = swift_settings(swift_server) if kind == "swift" else s3_settings(swift_server)
    backups = BackupSettings.model_validate({"store": kind, kind: section})
    settings = make_settings(
        tmp_path / "state", f"sqlite:///{tmp_path / 'control.db'}", backups=backups
    )
    plane = ControlPlane(settings)
    try:
        yield plane, kind
    finally:
        plane.close()


def holdings(plane: ControlPlane, kind: str, server: SwiftServer) -> list[str]:
    if kind == "swift":
        container = plane.settings.backups.swift.container
        return swift_names(server, container) + swift_names(server, f"{container}_segments")
    from strongroom.drivers.objectstore.s3 import S3ObjectStore

    return s3_holdings(server, S3ObjectStore(plane.settings.backups.s3))


def test_backup_restore_and_delete_through_the_store(
    store_plane: tuple[ControlPlane, str], swift_server: SwiftServer
) -> None:
    plane, kind = store_plane
    demo = plane.tenant("demo", "demo", "member")
    with plane.worker():
        source = active_instance(plane, demo)
        full = completed(plane, demo, source, name="full")
        add_database(plane, demo, source, "later")
        incremental = completed(plane, demo, source, name="incr", incremental=1)
        add_database(plane, demo, source, "after_backups")
        stored = holdings(plane, kind, swift_server)
        assert any(full in name for name in stored) and any(incremental in n for n in stored)

        restored = restored_instance(plane, demo, incremental, "restored")
        assert set(engine(plane, restored)["databases"]) == {"app", "later"}

        for backup_id in (incremental, full):
            url = plane.url(demo, f"backups/{backup_id}")
            assert plane.client.delete(url, headers=demo.headers()).status_code == 202
            wait_idle(plane, backup_id)
            assert plane.client.get(url, headers=demo.headers()).status_code == 404
    assert holdings(plane, kind, swift_server) == []
