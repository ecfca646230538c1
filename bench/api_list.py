"""Instance list latency through the real HTTP API, beside the raw DB read of the same rows.

    .venv/bin/python -m bench.api_list [--instances 100] [--requests 300] [--db sqlite|postgresql]

The API side is a real uvicorn server on loopback with token validation, project scoping and
rendering; the raw side is the same SELECT of the project's instances through SQLAlchemy.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import select

from strongroom.api.app import create_api_app
from strongroom.config.settings import QuotaSettings
from strongroom.store.models import Instance
from tests.functional.api.test_instance_lifecycle import CREATE
from tests.support.controlplane import ControlPlane, make_settings
from tests.support.pgcluster import PgCluster


def timed(fn: Callable[[], object], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return samples


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", type=int, default=100)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="srbench-"))
    cluster = None
    if args.db == "postgresql":
        cluster = PgCluster()
        cluster.start()
        url = cluster.create_database()
    else:
        url = f"sqlite:///{root / 'control.db'}"
    unlimited = QuotaSettings(max_instances=-1, max_volumes=-1, max_ram=-1)
    plane = ControlPlane(make_settings(root / "state", url, quotas=unlimited))
    try:
        run(plane, args.instances, args.requests, args.db)
    finally:
        plane.close()
        if cluster is not None:
            cluster.stop()


def run(plane: ControlPlane, count: int, requests: int, db_kind: str) -> None:
    demo = plane.tenant("demo", "demo", "member")
    for n in range(count):
        doc = {"instance": {**CREATE["instance"], "name": f"db{n}"}}
        r = plane.client.post(plane.url(demo, "instances"), json=doc, headers=demo.headers())
        r.raise_for_status()
    server = uvicorn.Server(
        uvicorn.Config(
            create_api_app(plane.settings, plane.db),
            host="127.0.0.1",
            port=plane.settings.api.port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{plane.settings.api.port}/v1.0/{demo.project_id}/instances"
    with httpx.Client(headers=demo.headers()) as client:
        assert len(client.get(base).json()["instances"]) == count
        api = timed(lambda: client.get(base).raise_for_status(), requests)

    def raw_read() -> None:
        with plane.db.read() as s:
            rows = s.scalars(select(Instance).where(Instance.project_id == demo.project_id))
            assert len(list(rows)) == count

    raw = timed(raw_read, requests)
    server.should_exit = True
    thread.join()
    (a50, a95), (r50, r95) = summary(api), summary(raw)
    print(f"instance list, {count} instances, {requests} requests, control DB {db_kind}")
    print(f"  API over HTTP : p50 {a50:6.2f} ms  p95 {a95:6.2f} ms")
    print(f"  raw DB read   : p50 {r50:6.2f} ms  p95 {r95:6.2f} ms")
    print(f"  ratio at p50  : {a50 / r50:.1f}x (the API adds {a50 - r50:.2f} ms)")


if __name__ == "__main__":
    main()
