"""Fixtures of the console tests: one served console per test module, over SQLite (the
console adds no SQL of its own; the API tests cover both control DBs). The tests only read
and log in and out, so they can share it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.functional.console.console_site import Site, console_site
from tests.support.controlplane import ControlPlane, make_settings


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("console")
    plane = ControlPlane(make_settings(root / "state", f"sqlite:///{root / 'control.db'}"))
    try:
        with console_site(plane) as found:
            yield found
    finally:
        plane.close()
