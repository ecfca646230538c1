"""A real OpenStack Keystone (Debian's `keystone` package) run as a program on loopback:
SQLite, fernet tokens, its own config, keys and log in a temp dir, bootstrapped with
`keystone-manage`; never imported (it runs on /usr/bin/python3, not the project's venv)."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

KEYSTONE_MANAGE = Path("/usr/bin/keystone-manage")
KEYSTONE_WSGI = Path("/usr/bin/keystone-wsgi-public")
START_TIMEOUT = 90.0

CONFIG = """[DEFAULT]
log_file = {dir}/keystone.log
[database]
connection = sqlite:///{dir}/keystone.db?timeout=30
[identity]
password_hash_rounds = 4
[token]
provider = fernet
expiration = 3600
[fernet_tokens]
key_repository = {dir}/fernet-keys
[fernet_receipts]
key_repository = {dir}/fernet-keys
[credential]
key_repository = {dir}/credential-keys
[cache]
enabled = false
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class KeystoneServer:
    directory: Path
    port: int = field(default_factory=_free_port)
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    process: subprocess.Popen[bytes] | None = None
    _admin_token: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v3"

    @property
    def config(self) -> Path:
        return self.directory / "keystone.conf"

    def start(self) -> None:
        if not KEYSTONE_MANAGE.exists():
            raise AssertionError("Debian's keystone is not installed: run scripts/bootstrap")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config.write_text(CONFIG.format(dir=self.directory))
        self._manage("db_sync")
        # WAL: a read transaction Keystone leaves open must not block its next write.
        with contextlib.closing(sqlite3.connect(self.directory / "keystone.db")) as db:
            db.execute("PRAGMA journal_mode=WAL")
        for repo in ("fernet_setup", "credential_setup"):
            self._manage(repo, "--keystone-user", "root", "--keystone-group", "root")
        self._manage(
            "bootstrap",
            "--bootstrap-admin-url",
            self.url,
            "--bootstrap-public-url",
            self.url,
            "--bootstrap-internal-url",
            self.url,
            "--bootstrap-region-id",
            "RegionOne",
        )
        log = (self.directory / "server.out").open("ab")
        argv = [
            "/usr/bin/python3",
            str(KEYSTONE_WSGI),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--",
            "--config-file",
            str(self.config),
        ]
        self.process = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._wait_ready()

    def _manage(self, *args: str) -> None:
        argv = [str(KEYSTONE_MANAGE), "--config-file", str(self.config), *args]
        env = {**os.environ, "OS_BOOTSTRAP_PASSWORD": self.admin_password}  # not in argv
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env)
        if proc.returncode != 0:
            raise AssertionError(f"keystone-manage {args[0]} failed: {proc.stderr[-2000:]}")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                out = (self.directory / "server.out").read_text()[-2000:]
                raise AssertionError(f"keystone exited: {out}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url, timeout=2).status_code == 200:
                    return
            time.sleep(0.3)
        raise AssertionError("keystone did not answer in time")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    # --- the admin's REST calls ------------------------------------------------------------

    def token(self, user: str, password: str, project: str) -> str:
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {"name": user, "domain": {"id": "default"}, "password": password}
                    },
                },
                "scope": {"project": {"name": project, "domain": {"id": "default"}}},
            }
        }
        r = httpx.post(f"{self.url}/auth/tokens", json=body, timeout=30)
        assert r.status_code == 201, r.text
        return r.headers["X-Subject-Token"]

    def admin_token(self) -> str:
        if self._admin_token is None:
            self._admin_token = self.token("admin", self.admin_password, "admin")
        return self._admin_token

    def create(self, kind: str, body: dict[str, object]) -> str:
        plural = {"project": "projects", "user": "users", "role": "roles"}[kind]
        r = httpx.post(
            f"{self.url}/{plural}",
            json={kind: body},
            headers={"X-Auth-Token": self.admin_token()},
            timeout=30,
        )
        assert r.status_code == 201, r.text
        return str(r.json()[kind]["id"])

    def role_id(self, name: str) -> str:
        r = httpx.get(
            f"{self.url}/roles",
            params={"name": name},
            headers={"X-Auth-Token": self.admin_token()},
            timeout=30,
        )
        found = r.json()["roles"]
        return str(found[0]["id"]) if found else self.create("role", {"name": name})

    def grant(self, project_id: str, user_id: str, role: str) -> None:
        url = f"{self.url}/projects/{project_id}/users/{user_id}/roles/{self.role_id(role)}"
        r = httpx.put(url, headers={"X-Auth-Token": self.admin_token()}, timeout=30)
        assert r.status_code == 204, r.text

    def revoke_token(self, token: str) -> None:
        r = httpx.delete(
            f"{self.url}/auth/tokens",
            headers={"X-Auth-Token": self.admin_token(), "X-Subject-Token": token},
            timeout=30,
        )
        assert r.status_code == 204, r.text
