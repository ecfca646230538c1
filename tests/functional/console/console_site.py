"""A console to test against: the API and the built-in identity served by uvicorn on loopback
(the console's login calls the identity over HTTP, as in production), a member of `demo`
with an ACTIVE instance holding an hour of metric samples, and another project's instance."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import uvicorn
from fastapi import FastAPI
from sqlalchemy import delete

from strongroom.identity.keystone_app import create_identity_app
from strongroom.store import metric_samples
from strongroom.store.database import utcnow
from strongroom.store.models import MetricSample
from tests.functional.api.test_instance_lifecycle import CREATE
from tests.functional.monitoring.test_metrics_collector import collector
from tests.support.controlplane import ControlPlane, Tenant

MIB = 2.0**20
SAMPLES = 120  # an hour, every 30 s
PASSWORD = "pw-demodemo"  # ControlPlane.tenant's password for user `demo`


@dataclass
class Site:
    url: str
    plane: ControlPlane
    demo: Tenant
    other: Tenant
    instance_id: str
    others_instance_id: str

    @property
    def origin(self) -> str:
        return self.url

    def login_body(self, password: str = PASSWORD) -> dict[str, str]:
        return {"user": "demo", "password": password, "project": "demo", "domain": "Default"}


@contextmanager
def serving(app: FastAPI, port: int) -> Iterator[None]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        if not server.started:
            raise RuntimeError(f"uvicorn did not start on port {port}")
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def create(plane: ControlPlane, tenant: Tenant, name: str) -> str:
    body = {"instance": {**CREATE["instance"], "name": name}}
    r = plane.client.post(plane.url(tenant, "instances"), json=body, headers=tenant.headers())
    assert r.status_code == 200, r.text
    return str(r.json()["instance"]["id"])


def seed_hour_of_samples(plane: ControlPlane, instance_id: str) -> None:
    """Replace the instance's samples by an hour of plausible ones, 30 s apart."""
    now = utcnow()
    cpu = questions = 0.0
    with plane.db.write() as s:
        s.execute(delete(MetricSample).where(MetricSample.instance_id == instance_id))
        for i in range(SAMPLES):
            wave = math.sin(i / 9.0)
            cpu += 30 * (0.18 + 0.08 * wave)
            questions += 30 * (140 + 60 * wave + 25 * math.sin(i / 2.3))
            values = {
                "cpu_seconds_total": cpu,
                "questions_total": questions,
                "memory_bytes": (310 + 40 * wave + i * 0.4) * MIB,
                "memory_limit_bytes": 1024 * MIB,
                "connections": float(round(8 + 4 * wave)),
                "volume_used_bytes": (96 + i * 0.3) * MIB,
                "volume_total_bytes": 975 * MIB,
                "engine_up": 1.0,
            }
            at = now - timedelta(seconds=30 * (SAMPLES - i) - 5)
            metric_samples.add(s, instance_id, at, values)


@contextmanager
def console_site(plane: ControlPlane) -> Iterator[Site]:
    demo = plane.tenant("demo", "demo", "member")
    other = plane.tenant("other", "other", "member")
    instance_id = create(plane, demo, "orders")
    theirs = create(plane, other, "theirs")
    with plane.worker():
        plane.wait_status(demo, instance_id, {"ACTIVE"})
        plane.wait_status(other, theirs, {"ACTIVE"})
    seed_hour_of_samples(plane, instance_id)
    collector(plane).run_top_queries()
    settings = plane.settings
    identity = create_identity_app(settings, plane.db)
    with serving(identity, settings.identity.port), serving(plane.client.app, settings.api.port):
        url = f"http://127.0.0.1:{settings.api.port}"
        yield Site(url, plane, demo, other, instance_id, theirs)
