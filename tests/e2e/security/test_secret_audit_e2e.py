"""Secret audit over a real run (local backend, real MariaDB): an instance created with a user
password, root enabled, a password changed, access updated; then every file of the run
(control-plane log, agent and engine logs, sandbox files, the control DB and its WAL), every
event, every API response and every job record is searched for each secret, plain and
base64/url-encoded; the caller's API token too. Only the root-enable response may carry
root's password."""

from __future__ import annotations

import base64
import logging
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from sqlalchemy import select

from strongroom.drivers.placement import placement_of
from strongroom.store.models import Event, Job
from strongroom.worker.service import Worker
from tests.e2e.local_backend.local_backend_harness import LocalRun
from tests.functional.api.day2_support import wait_idle
from tests.support.controlplane import ControlPlane, Tenant

pytestmark = pytest.mark.e2e

TIMEOUT = 120.0


def encodings(secret: str) -> dict[str, bytes]:
    """The secret as it could appear in a file: plain, url-encoded, and base64 (standard and
    URL-safe) at each of the three alignments inside a longer encoded text."""
    raw = secret.encode()
    forms = {"plain": raw, "url": quote(secret, safe="").encode()}
    forms["url+"] = quote_plus(secret).encode()
    for shift in range(3):
        data = b"\0" * shift + raw
        core = base64.b64encode(data[: len(data) // 3 * 3])[4 if shift else 0 :]
        forms[f"base64/{shift}"] = core
        forms[f"base64url/{shift}"] = core.replace(b"+", b"-").replace(b"/", b"_")
    return forms


def findings(blob: bytes, secrets_: dict[str, str]) -> list[str]:
    return [
        f"{name} ({form})"
        for name, secret in secrets_.items()
        for form, needle in encodings(secret).items()
        if needle in blob
    ]


@pytest.fixture
def control_plane_log(local_run: LocalRun) -> Iterator[Path]:
    """Every log record of the in-process API and worker, at DEBUG, into a file of the run."""
    path = local_run.state_dir / "control-plane.log"
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


class Recorder:
    """Calls the API and keeps every response body."""

    def __init__(self, plane: ControlPlane, tenant: Tenant) -> None:
        self.plane, self.tenant = plane, tenant
        self.bodies: list[tuple[str, bytes]] = []

    def __call__(self, method: str, path: str, body: Any = None, status: int = 202) -> Any:
        url = self.plane.url(self.tenant, path)
        r = self.plane.client.request(method, url, json=body, headers=self.tenant.headers())
        assert r.status_code == status, (method, path, r.text)
        self.bodies.append((f"{method} {path}", r.content))
        return r.json() if r.content else None


def _files(local_run: LocalRun, mountpoint: Path) -> list[Path]:
    """Every regular file of the run but the raw volume images (their mounted content is
    searched through the mountpoint)."""
    volumes = local_run.state_dir / "volumes"
    roots = [local_run.state_dir, mountpoint]
    found = {
        p
        for root in roots
        for p in root.rglob("*")
        if p.is_file() and not p.is_symlink() and volumes not in p.parents
    }
    return sorted(found)


def test_no_secret_in_any_log_event_response_or_job(
    plane: ControlPlane,
    worker: Worker,
    demo: Tenant,
    local_run: LocalRun,
    control_plane_log: Path,
) -> None:
    started = time.monotonic()
    found_secrets = {
        "user password": "Us3r+pw/" + secrets.token_urlsafe(12),
        "changed password": "Ch4nged+pw/" + secrets.token_urlsafe(12),
        "API token": demo.token,
    }
    api = Recorder(plane, demo)
    body = {
        "instance": {
            "name": "audit",
            "flavorRef": "sr.tiny",
            "volume": {"size": 1},
            "datastore": {"type": "mariadb", "version": "10.11"},
            "databases": [{"name": "shop"}],
            "users": [
                {
                    "name": "app",
                    "password": found_secrets["user password"],
                    "databases": [{"name": "shop"}],
                }
            ],
            "access": {"is_public": True},
        }
    }
    instance_id = api("POST", "instances", body, status=200)["instance"]["id"]
    try:
        doc = plane.wait_status(demo, instance_id, {"ACTIVE", "ERROR"}, timeout=TIMEOUT)
        assert doc["status"] == "ACTIVE", doc
        wait_idle(plane, instance_id, timeout=60)

        enabled = api("POST", f"instances/{instance_id}/root", status=200)
        found_secrets["root password"] = enabled["user"]["password"]
        api.bodies.pop()  # the one response allowed to carry it (shown once)
        wait_idle(plane, instance_id, timeout=60)
        change = {"user": {"password": found_secrets["changed password"]}}
        api("PUT", f"instances/{instance_id}/users/app", change)
        wait_idle(plane, instance_id, timeout=60)
        access = {"instance": {"access": {"is_public": False, "allowed_cidrs": ["10.9.8.0/24"]}}}
        api("PUT", f"instances/{instance_id}", access)
        wait_idle(plane, instance_id, timeout=60)
        for path in ("", "/users", "/users/app", "/databases", "/root", "/events"):
            api("GET", f"instances/{instance_id}{path}", status=200)
        api("GET", "instances/detail", status=200)

        leaks: list[str] = []
        mountpoint = Path(placement_of(plane.settings, instance_id).mountpoint)
        files = _files(local_run, mountpoint)
        names = {p.name for p in files}
        assert "control-plane.log" in names and "agent.log" in names, sorted(names)
        assert any(n.startswith("mariadbd") for n in names), "the engine's logs were searched"
        assert control_plane_log.stat().st_size > 0
        for path in files:
            leaks += [f"{path}: {f}" for f in findings(path.read_bytes(), found_secrets)]
        for what, content in api.bodies:
            leaks += [f"API response {what}: {f}" for f in findings(content, found_secrets)]
        with plane.db.read() as s:
            for e in s.scalars(select(Event)):
                text = f"{e.kind} {e.message}".encode()
                leaks += [f"event {e.id}: {f}" for f in findings(text, found_secrets)]
            jobs = s.scalars(select(Job)).all()
            assert len(jobs) >= 4  # create, root, password, access
            for j in jobs:
                record = repr(
                    (j.workflow, j.payload, j.context, j.error_message, j.sealed_secrets)
                ).encode()
                leaks += [f"job {j.workflow} {j.id}: {f}" for f in findings(record, found_secrets)]
        assert not leaks, "secrets found:\n" + "\n".join(leaks)
        assert len(files) > 10
    finally:
        plane.client.delete(plane.url(demo, f"instances/{instance_id}"), headers=demo.headers())
        plane.wait_status(demo, instance_id, {"DELETED", "ERROR"}, timeout=TIMEOUT)
    assert time.monotonic() - started < 90, "over the audit's budget"
