"""A real Prometheus (Debian's `prometheus`) for tests: its own config and data dir, on a
free loopback port, stopped by the PID it was started with; and the API served on loopback
for it to scrape."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from strongroom.api.app import create_api_app
from tests.support.controlplane import ControlPlane
from tests.support.pgcluster import free_port

PROMETHEUS = "/usr/bin/prometheus"


def available() -> bool:
    return shutil.which(PROMETHEUS) is not None


@contextmanager
def serving_api(plane: ControlPlane) -> Iterator[str]:
    """The plane's API on its loopback port (uvicorn in a thread); yields the base URL."""
    port = plane.settings.api.port
    config = uvicorn.Config(
        create_api_app(plane.settings, plane.db), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the API did not start on port {port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class Prometheus:
    """One private Prometheus server; `start` with scrape configs, `query` PromQL, `stop`."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, scrape_configs: list[dict[str, Any]], timeout: float = 20) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "prometheus.yml"
        document = {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
            "scrape_configs": scrape_configs,
        }
        config.write_text(json.dumps(document, indent=1))  # YAML is a superset of JSON
        log = (self.workdir / "prometheus.log").open("wb")
        self.process = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config}",
                f"--storage.tsdb.path={self.workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--storage.tsdb.retention.time=1h",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited: {self.log_tail()}")
            try:
                if httpx.get(self.url + "/-/ready", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"prometheus not ready in {timeout} s: {self.log_tail()}")
            time.sleep(0.1)

    def query(self, promql: str) -> list[dict[str, Any]]:
        """An instant query's result vector (`[{"metric": {...}, "value": [t, "v"]}]`)."""
        r = httpx.get(self.url + "/api/v1/query", params={"query": promql}, timeout=5)
        r.raise_for_status()
        body = r.json()
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def wait_for(self, promql: str, timeout: float = 30) -> list[dict[str, Any]]:
        """The query's result once it is not empty."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.query(promql)
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"no result for {promql!r}; targets: {self.targets()}")
            time.sleep(0.2)

    def targets(self) -> list[dict[str, Any]]:
        r = httpx.get(self.url + "/api/v1/targets", timeout=5)
        active: list[dict[str, Any]] = r.json()["data"]["activeTargets"]
        return active

    def log_tail(self) -> str:
        path = self.workdir / "prometheus.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@contextmanager
def running_prometheus(workdir: Path, scrape_configs: list[dict[str, Any]]) -> Iterator[Prometheus]:
    server = Prometheus(workdir)
    try:
        server.start(scrape_configs)
        yield server
    finally:
        server.stop()
