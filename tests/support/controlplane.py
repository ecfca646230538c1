"""A control plane for functional tests: settings, migrated DB, users, tokens, API client."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from strongroom.api.app import create_api_app
from strongroom.config import Settings
from strongroom.config.settings import (
    ApiSettings,
    DatabaseSettings,
    DriverSettings,
    FakeDriverSettings,
    IdentitySettings,
    WorkerSettings,
)
from strongroom.identity.directory import Directory
from strongroom.identity.tokens import TokenIssuer
from strongroom.runtime.prepare import open_database, upgrade_and_seed
from strongroom.store.database import Database
from strongroom.worker.service import Worker
from tests.support.pgcluster import free_port


def make_settings(state_dir: Path, db_url: str, **overrides: Any) -> Settings:
    fake = overrides.pop("fake", FakeDriverSettings())
    worker = overrides.pop("worker", WorkerSettings(lease_seconds=2.0, poll_seconds=0.05))
    return Settings(
        state_dir=state_dir,
        clouds_yaml=state_dir / "clouds.yaml",
        database=DatabaseSettings(url=db_url),
        api=ApiSettings(port=free_port()),
        identity=IdentitySettings(port=free_port()),
        worker=worker,
        drivers=DriverSettings(backend="fake", fake=fake),
        **overrides,
    )


@dataclass
class Tenant:
    project_id: str
    token: str

    def headers(self) -> dict[str, str]:
        return {"X-Auth-Token": self.token, "Accept": "application/json"}


class ControlPlane:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db: Database = open_database(settings)
        upgrade_and_seed(settings, self.db)
        self.directory = Directory(self.db)
        self.issuer = TokenIssuer.from_settings(settings)
        self.client = TestClient(create_api_app(settings, self.db))

    def tenant(self, project: str, user: str, role: str) -> Tenant:
        p = self.directory.find_project(project) or self.directory.create_project(project)
        u = self.directory.find_user(user) or self.directory.create_user(user, "pw-" + user * 2)
        self.directory.assign_role(u.id, p.id, role)
        return Tenant(p.id, self.issuer.issue(u.id, p.id).token)

    def url(self, tenant: Tenant, path: str) -> str:
        return f"/v1.0/{tenant.project_id}/{path}"

    @contextmanager
    def worker(self) -> Iterator[Worker]:
        """A worker in a thread, stopped (and joined) on exit."""
        worker = Worker(self.settings)
        thread = threading.Thread(target=worker.run_forever, daemon=True)
        thread.start()
        try:
            yield worker
        finally:
            worker.stop()
            thread.join(timeout=30)

    def wait_status(
        self, tenant: Tenant, instance_id: str, wanted: set[str], timeout: float = 30
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            r = self.client.get(
                self.url(tenant, f"instances/{instance_id}"), headers=tenant.headers()
            )
            if r.status_code == 404 and "DELETED" in wanted:
                return {"status": "DELETED"}
            doc: dict[str, Any] = r.json()["instance"]
            if doc["status"] in wanted:
                return doc
            if time.monotonic() > deadline:
                raise AssertionError(f"instance {instance_id} stuck in {doc['status']}")
            time.sleep(0.05)

    def close(self) -> None:
        self.client.close()
        self.db.dispose()
