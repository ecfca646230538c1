"""A running built-in identity for functional tests (uvicorn in a thread, loopback only)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from strongroom.config.settings import ApiSettings, IdentitySettings, Settings
from strongroom.identity.directory import Directory
from strongroom.identity.keystone_app import create_identity_app
from strongroom.store.database import Database
from strongroom.store.migrate import upgrade


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Identity:
    settings: Settings
    db: Database
    directory: Directory
    url: str
    project_id: str

    def session(self, user: str, password: str, project: str = "demo") -> ks_session.Session:
        auth = v3.Password(
            auth_url=self.url + "/v3",
            username=user,
            password=password,
            project_name=project,
            user_domain_name="Default",
            project_domain_name="Default",
        )
        return ks_session.Session(auth=auth)

    def login(self, body: dict[str, object]) -> httpx.Response:
        return httpx.post(self.url + "/v3/auth/tokens", json={"auth": body})


@contextmanager
def running_identity(tmp_path: Path) -> Iterator[Identity]:
    """The identity app on a free loopback port over a fresh migrated SQLite control DB, with
    project `demo` and its member `alice` (password `alice-pw`)."""
    port = free_port()
    settings = Settings(
        state_dir=tmp_path,
        identity=IdentitySettings(port=port, region="RegionX"),
        api=ApiSettings(port=free_port()),
    )
    db = Database(f"sqlite:///{tmp_path}/c.db")
    upgrade(db)
    directory = Directory(db)
    project = directory.create_project("demo")
    directory.create_user("alice", "alice-pw", "demo")
    directory.assign_role("alice", "demo", "member")
    config = uvicorn.Config(
        create_identity_app(settings, db), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    if not server.started:
        raise RuntimeError(f"the identity app did not start on port {port}")
    try:
        yield Identity(settings, db, directory, f"http://127.0.0.1:{port}", project.id)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        db.dispose()
