"""Provisioning time of real MariaDB or PostgreSQL instances, beside the raw cost of the same
work by hand.

    sudo .venv/bin/python -m bench.provision [--instances 5] [--datastore postgresql]

Runs `strongroom up` (local backend, 2 worker processes, its own state dir, ports, name prefix
and /24s) and creates N instances through the HTTP API one after another, then N at once,
timing each from POST to ACTIVE + HEALTHY. The raw side does by hand what every instance needs
at least: a network namespace, `mariadb-install-db`, `mariadbd` started in the namespace, and
the first connection (PostgreSQL: `initdb` and `postgres` instead); each raw run alternates
with a sequential create, so that both see the same load on a shared machine (and the same
number of instances already running). Prints p50/p95 of both and their ratio, the median time
of each create step (from the worker log), then the resident memory of the control plane
(API + workers) with every instance running, and of each instance's sandbox. The workers run
with the default intervals (health every 10 s): ACTIVE + HEALTHY is set from the agent's
answer at the end of the create.

`--raw-one-sync` adds a second raw series whose install skips its per-file syncs and flushes
once at the end, as the agent does since it initialises that way (`engines/durability`): the
stock raw floor stays the target's reference; this one shows what is left beside the same
install.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench import raw_mariadb, raw_postgresql
from tests.e2e.local_backend.local_backend_harness import LocalRun, free_subnets, sweep
from tests.support.pgcluster import free_port

VENV_BIN = Path(sys.executable).parent
VERSIONS = {"mariadb": "10.11", "postgresql": "15"}
NAMES = {"mariadb": "MariaDB", "postgresql": "PostgreSQL"}
RAW_WORK = {
    "mariadb": "netns + install-db + mariadbd + connect",
    "postgresql": "netns + initdb + postgres + connect",
}


class Plane:
    """`strongroom up` in a subprocess, and a token of its demo user."""

    def __init__(self, run: LocalRun) -> None:
        self.run = run
        self.api, self.identity = free_port(), free_port()
        config = run.state_dir / "strongroom.toml"
        config.write_text(
            f'state_dir = "{run.state_dir}"\nclouds_yaml = "{run.state_dir / "clouds.yaml"}"\n'
            f"[api]\nport = {self.api}\n[identity]\nport = {self.identity}\n"
            "[worker]\nprocesses = 2\npoll_seconds = 0.1\n"
            f'[drivers]\nbackend = "local"\n[drivers.local]\nname_prefix = "{run.prefix}"\n'
            f'[[networks]]\nname = "management"\nrole = "management"\ncidr = "{run.management}"\n'
            f'[[networks]]\nname = "public"\nrole = "user"\ncidr = "{run.public}"\n'
        )
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "strongroom"), "--config", str(config), "up"],
            stdout=(run.state_dir / "up.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        self.client = httpx.Client(timeout=30)
        self._login()

    def _login(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                self.client.get(f"http://127.0.0.1:{self.identity}/v3")
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "strongroom up did not start"
                time.sleep(0.2)
        cloud = yaml.safe_load((self.run.state_dir / "clouds.yaml").read_text())["clouds"]
        auth = cloud["strongroom-demo"]["auth"]
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": auth["username"],
                            "domain": {"id": "default"},
                            "password": auth["password"],
                        }
                    },
                },
                "scope": {"project": {"name": auth["project_name"], "domain": {"id": "default"}}},
            }
        }
        r = self.client.post(f"http://127.0.0.1:{self.identity}/v3/auth/tokens", json=body)
        r.raise_for_status()
        self.project = r.json()["token"]["project"]["id"]
        self.client.headers["X-Auth-Token"] = r.headers["X-Subject-Token"]
        self.base = f"http://127.0.0.1:{self.api}/v1.0/{self.project}"

    def create_and_wait(self, name: str, datastore: str = "mariadb") -> float:
        body = {
            "instance": {
                "name": name,
                "flavorRef": "sr.tiny",
                "volume": {"size": 1},
                "datastore": {"type": datastore, "version": VERSIONS[datastore]},
                "access": {"is_public": True},
            }
        }
        started = time.monotonic()
        r = self.client.post(f"{self.base}/instances", json=body)
        r.raise_for_status()
        instance_id = r.json()["instance"]["id"]
        while True:
            doc: dict[str, Any] = self.client.get(f"{self.base}/instances/{instance_id}").json()
            doc = doc["instance"]
            if doc["status"] == "ACTIVE" and doc["operating_status"] == "HEALTHY":
                return time.monotonic() - started
            if doc["status"] == "ERROR" or time.monotonic() - started > 300:
                raise RuntimeError(f"{name}: {doc['status']} {doc.get('fault')}")
            time.sleep(0.05)

    def stop(self) -> None:
        for instance in self.client.get(f"{self.base}/instances").json()["instances"]:
            self.client.delete(f"{self.base}/instances/{instance['id']}")
        deadline = time.monotonic() + 120
        while self.client.get(f"{self.base}/instances").json()["instances"]:
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.proc.send_signal(2)
        self.proc.wait(timeout=60)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def sandbox_rss(prefix: str) -> list[float]:
    """Resident memory (MiB) of each sandbox: every process in its namespace."""
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    sizes = []
    for ns in sorted(line.split()[0] for line in out.splitlines() if line.startswith(prefix)):
        pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout
        sizes.append(sum(rss_mib(int(p)) for p in pids.split()))
    return sizes


def step_medians(log: Path) -> dict[str, float]:
    """Median seconds of each create step, from the workers' log."""
    found: dict[str, list[float]] = {}
    pattern = re.compile(r"create_instance: (\w+) do done in ([\d.]+) s")
    for match in pattern.finditer(log.read_text(errors="replace")):
        found.setdefault(match.group(1), []).append(float(match.group(2)))
    return {step: statistics.median(times) for step, times in found.items()}


def describe(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):5.2f} s  p95 {p95:5.2f} s  (n={len(ordered)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", type=int, default=5)
    parser.add_argument("--datastore", choices=sorted(VERSIONS), default="mariadb")
    parser.add_argument(
        "--raw-one-sync",
        action="store_true",
        help="also time the raw work with the agent's install (no per-file syncs, one flush)",
    )
    args = parser.parse_args()
    n, datastore = args.instances, args.datastore
    raw_side = raw_postgresql if datastore == "postgresql" else raw_mariadb
    root = Path(tempfile.mkdtemp(prefix="srbench-"))
    root.chmod(0o755)  # mariadbd / postgres (users mysql / postgres) traverse to their data
    management, public = free_subnets(2)
    run = LocalRun(f"srb{secrets.token_hex(2)}", root / "state", management, public)
    run.state_dir.mkdir(mode=0o755)
    raw_side.prepare_root(root / "raw")
    plane = Plane(run)
    raw: list[float] = []
    raw_one_sync: list[float] = []
    sequential: list[float] = []
    try:
        for i in range(n):
            raw.append(raw_side.raw_once(root / "raw", i))
            if args.raw_one_sync:
                raw_one_sync.append(raw_side.raw_once(root / "raw", n + i, one_sync=True))
            sequential.append(plane.create_and_wait(f"seq{i}", datastore))
        with ThreadPoolExecutor(max_workers=n) as pool:
            names = [f"par{i}" for i in range(n)]
            parallel = list(pool.map(plane.create_and_wait, names, [datastore] * n))
        assert plane.proc.pid
        api = rss_mib(plane.proc.pid)
        workers = [rss_mib(p) for p in children(plane.proc.pid)]
        sandboxes = sandbox_rss(f"{run.prefix}-")
    finally:
        plane.stop()
        sweep(run)
    p50 = statistics.median
    print(
        f"create -> ACTIVE + HEALTHY, {NAMES[datastore]} {VERSIONS[datastore]}, flavor sr.tiny,"
        f" {n} instances"
    )
    print(f"  load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"  {f'raw ({RAW_WORK[datastore]}):':47}{describe(raw)}")
    if raw_one_sync:
        print(f"  raw, install with one flush (as the agent):    {describe(raw_one_sync)}")
    print(f"  Strongroom, one after another:                 {describe(sequential)}")
    print(f"  Strongroom, {n} at once (2 workers):            {describe(parallel)}")
    print(
        f"  ratio to raw at p50: sequential {p50(sequential) / p50(raw):.2f}, "
        f"parallel {p50(parallel) / p50(raw):.2f}"
    )
    if raw_one_sync:
        print(
            "  ratio to the one-flush raw at p50: "
            f"sequential {p50(sequential) / p50(raw_one_sync):.2f}"
        )
    print(
        "  create steps, median s: "
        + ", ".join(f"{k} {v:.2f}" for k, v in step_medians(run.state_dir / "up.log").items())
    )
    print(f"memory with {2 * n} instances running:")
    print(
        f"  API + identity process RSS: {api:.0f} MiB; workers: "
        + ", ".join(f"{w:.0f} MiB" for w in workers)
    )
    engine = "postgres" if datastore == "postgresql" else "mariadbd"
    print(
        f"  per instance sandbox RSS (agent + {engine}): "
        + ", ".join(f"{s:.0f}" for s in sandboxes)
        + " MiB"
    )


if __name__ == "__main__":
    main()
