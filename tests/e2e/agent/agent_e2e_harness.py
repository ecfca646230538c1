"""Harness for agent e2e tests: a PKI, agents as subprocesses, and cleanup that proves
nothing outlives the run (pid files and a /proc scan for the run's temp dir)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from strongroom.contracts.agent import PrepareRequest
from strongroom.contracts.errors import InfrastructureError
from strongroom.drivers.guest.http import AgentClient
from strongroom.pki import CertificateAuthority, CertificatePaths
from tests.support.datastore_clients import MARIADB, DatastoreClient, Refusal, Session

AGENT_BINARY = Path(sys.executable).with_name("strongroom-agent")
START_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def processes_mentioning(text: str) -> list[tuple[int, str]]:
    """(pid, cmdline) of every live process whose command line contains `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        line = raw.replace(b"\0", b" ").decode(errors="replace")
        if text in line:
            found.append((int(entry.name), line))
    return found


@dataclass
class Pki:
    """The control plane's CA, its client certificate, and a place for agent certificates."""

    directory: Path
    ca: CertificateAuthority
    client: CertificatePaths

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca" / "ca.crt"

    def server_cert(self, instance_id: str) -> CertificatePaths:
        issued = self.ca.issue_server_certificate(instance_id, "127.0.0.1")
        return issued.write(self.directory / "agents", instance_id)

    def client_for(self, instance_id: str, port: int, timeout: float = 10.0) -> AgentClient:
        return AgentClient(
            "127.0.0.1",
            port,
            instance_id,
            self.ca_cert,
            self.client.cert,
            self.client.key,
            timeout=timeout,
        )


@dataclass
class Agent:
    """One agent subprocess with its own dirs and ports, serving one datastore."""

    instance_id: str
    root: Path
    port: int
    engine_port: int
    pki: Pki
    datastore: DatastoreClient = MARIADB
    proc: subprocess.Popen[bytes] | None = None
    clients: list[AgentClient] = field(default_factory=list)

    @property
    def config_path(self) -> Path:
        return self.root / "agent.json"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_dir(self) -> Path:
        return self.root / "log"

    @property
    def engine_pidfile(self) -> Path:
        return self.root / "run" / self.datastore.pidfile

    @property
    def engine_data_dir(self) -> Path:
        return self.data_dir / self.datastore.data_subdir

    @property
    def engine_log_dir(self) -> Path:
        return self.log_dir / self.datastore.log_subdir

    def write_config(self, memory_mib: int = 256, **options: Any) -> None:
        certs = self.pki.server_cert(self.instance_id)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = {
            "instance_id": self.instance_id,
            "bind_host": "127.0.0.1",
            "port": self.port,
            "server_cert": str(certs.cert),
            "server_key": str(certs.key),
            "client_ca": str(self.pki.ca_cert),
            "engine": self.datastore.name,
            "data_dir": str(self.data_dir),
            "run_dir": str(self.root / "run"),
            "log_dir": str(self.log_dir),
            "memory_mib": memory_mib,
            "vcpus": 1,
            "listen_address": "127.0.0.1",
            "engine_port": self.engine_port,
            **options,
        }
        self.config_path.write_text(json.dumps(config))

    def start(self) -> None:
        """Start the agent and wait until it answers `status` over mTLS."""
        with (self.root / "agent.stdout").open("ab") as out:
            self.proc = subprocess.Popen(
                [str(AGENT_BINARY), "--config", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        client = self.client()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                client.status()
                return
            except InfrastructureError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def client(self, timeout: float = 10.0) -> AgentClient:
        client = self.pki.client_for(self.instance_id, self.port, timeout)
        self.clients.append(client)
        return client

    def login(self, user: str, password: str, database: str | None = None) -> Any:
        """A real TCP login to the engine with its own driver, as a user would make it."""
        return self.datastore._connect("127.0.0.1", self.engine_port, user, password, database)

    @contextmanager
    def session(self, user: str, password: str, database: str | None = None) -> Iterator[Session]:
        """`login` as a `Session` (closed on exit)."""
        with self.datastore.session(
            "127.0.0.1", self.engine_port, user, password, database
        ) as session:
            yield session

    def refusal(self, user: str, password: str, database: str | None = None) -> Refusal | None:
        """Why a TCP login is refused (bad credentials, no access to the database), or None."""
        return self.datastore.refusal("127.0.0.1", self.engine_port, user, password, database)

    def kill(self) -> None:
        """SIGKILL the agent (not its engine), as a crash would."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def engine_pid(self) -> int | None:
        try:
            return int(self.engine_pidfile.read_text().strip())
        except (OSError, ValueError):
            return None

    def cleanup(self) -> None:
        """Stop the agent and its engine, whatever state the test left them in."""
        for client in self.clients:
            client.close()
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        stop_pid(self.engine_pid(), str(self.data_dir))
        for pid, _ in processes_mentioning(str(self.root)):
            stop_pid(pid, str(self.root))


def stop_pid(pid: int | None, marker: str) -> None:
    if pid is None or not any(p == pid for p, _ in processes_mentioning(marker)):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(p == pid for p, _ in processes_mentioning(marker)):
        time.sleep(0.05)
    if any(p == pid for p, _ in processes_mentioning(marker)):
        os.kill(pid, signal.SIGKILL)


def launch_agent(
    agents: dict[str, Agent],
    e2e_root: Path,
    pki: Pki,
    instance_id: str,
    datastore: DatastoreClient = MARIADB,
    **options: Any,
) -> Agent:
    """Configure and start an agent for `instance_id` serving `datastore` (`options`: more
    agent settings), registered for cleanup (its directory is named after both, so one module
    may run each datastore)."""
    key = instance_id if datastore is MARIADB else f"{instance_id}-{datastore.name}"
    root = e2e_root / key
    root.mkdir(mode=0o755)
    agent = Agent(instance_id, root, free_port(), free_port(), pki, datastore)
    agents[key] = agent
    agent.write_config(**options)
    agent.start()
    return agent


def prepared_agent(
    agents: dict[str, Agent],
    e2e_root: Path,
    pki: Pki,
    instance_id: str,
    request: PrepareRequest,
    datastore: DatastoreClient = MARIADB,
) -> Agent:
    """`launch_agent`, then prepare with `request` and wait until it is done."""
    agent = launch_agent(agents, e2e_root, pki, instance_id, datastore)
    client = agent.client()
    client.wait_operation(client.prepare(request), timeout=60)
    return agent
