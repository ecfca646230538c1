"""`strongroom up` as a user runs it, driven by the unmodified openstackclient + troveclient."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.pgcluster import free_port

pytestmark = pytest.mark.functional

VENV_BIN = Path(sys.executable).parent


class Up:
    """A `strongroom up` process with its own state dir, ports and clouds.yaml."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.api_port, self.identity_port = free_port(), free_port()
        self.clouds = root / "clouds.yaml"
        self.config = root / "strongroom.toml"
        self.config.write_text(
            f'state_dir = "{root / "state"}"\n'
            f'clouds_yaml = "{self.clouds}"\n'
            'log_level = "DEBUG"\n'
            f"[api]\nport = {self.api_port}\n"
            f"[identity]\nport = {self.identity_port}\n"
            "[worker]\npoll_seconds = 0.1\n"
            # The fake backend: this test is about the control plane and the client; the
            # local backend's real instances have their own e2e tests.
            '[drivers]\nbackend = "fake"\n'
        )
        self.proc: subprocess.Popen[str] | None = None
        self.log = root / "up.log"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "setpriv",
                "--pdeathsig",
                "TERM",
                "--",
                str(VENV_BIN / "strongroom"),
                "--config",
                str(self.config),
                "up",
            ],
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                httpx.get(f"http://127.0.0.1:{self.api_port}/", timeout=1)
                httpx.get(f"http://127.0.0.1:{self.identity_port}/v3", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError("strongroom up did not start:\n" + self.log.read_text())

    def interrupt(self) -> int:
        """Ctrl-C, as a user would press it."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=60)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()

    def openstack(self, *args: str, cloud: str = "strongroom-demo", raw: bool = False) -> Any:
        env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(self.clouds)}
        env.pop("OS_CLOUD", None)
        r = subprocess.run(
            [
                str(VENV_BIN / "openstack"),
                "--os-cloud",
                cloud,
                *args,
                *([] if raw else ["-f", "json"]),
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert r.returncode == 0, f"openstack {' '.join(args)}:\n{r.stderr}"
        if raw:
            return r.stdout
        return json.loads(r.stdout) if r.stdout.strip() else None


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    runner = Up(tmp_path)
    runner.clouds.write_text(yaml.safe_dump({"clouds": {"mine": {"auth": {"auth_url": "x"}}}}))
    runner.start()
    try:
        yield runner
    finally:
        if runner.proc is not None and runner.proc.poll() is None:
            runner.interrupt()


def test_openstackclient_works_against_up_and_state_survives_a_restart(up: Up) -> None:
    clouds = yaml.safe_load(up.clouds.read_text())["clouds"]
    assert {"mine", "strongroom-admin", "strongroom-demo"} <= set(clouds)
    assert oct(up.clouds.stat().st_mode & 0o777) == "0o600"

    flavors = up.openstack("database", "flavor", "list")
    assert {f["Name"] for f in flavors} >= {"sr.tiny", "sr.small", "sr.medium"}
    stores = up.openstack("datastore", "list")
    assert [s["Name"] for s in stores] == ["mariadb", "postgresql"]
    versions = up.openstack("datastore", "version", "list", "mariadb")
    assert [v["Name"] for v in versions] == ["10.11"]
    # The client prints the ABSOLUTE limits as a table of its own, then the rate limits.
    limits = up.openstack("database", "limit", "list", raw=True)
    assert "max_instances" in limits and "instances_used" in limits
    assert up.openstack("database", "instance", "list") == []

    created = up.openstack(
        "database",
        "instance",
        "create",
        "db1",
        "--flavor",
        "sr.small",
        "--size",
        "1",
        "--datastore",
        "mariadb",
        "--datastore-version",
        "10.11",
        "--databases",
        "app",
        "--users",
        "app:S3cret-pass",
        "--is-public",
    )
    assert created["name"] == "db1"
    deadline = time.monotonic() + 60
    while up.openstack("database", "instance", "show", "db1")["status"] != "ACTIVE":
        assert time.monotonic() < deadline, "db1 never became ACTIVE"
        time.sleep(0.5)

    assert up.interrupt() == 0
    assert "stopped" in up.log.read_text()
    up.start()  # a second `make run` continues with the same state
    shown = up.openstack("database", "instance", "show", "db1")
    assert shown["status"] == "ACTIVE"
    assert shown["operating_status"] == "HEALTHY"
    admin_view = up.openstack("database", "instance", "list", cloud="strongroom-admin")
    assert admin_view == [], "the admin project has no instances of its own"

    up.openstack("database", "instance", "delete", "db1", raw=True)
    assert "S3cret-pass" not in up.log.read_text(), "a user's password reached the log"
    deadline = time.monotonic() + 60
    while up.openstack("database", "instance", "list"):
        assert time.monotonic() < deadline, "db1 was never deleted"
        time.sleep(0.5)
