"""What metric collection costs, beside `prometheus-mysqld-exporter` on the same engine.

    sudo .venv/bin/python -m bench.collection_cost [--seconds 60] [--ingest-instances 50]

One real MariaDB 10.11, started and prepared by a real agent (the agent e2e harness: mTLS on
loopback, no namespace). Side by side, in the same run, at 1 s and at 10 s intervals:

- ours: the worker's `MetricsCollector` (real code: one mTLS connection to the agent per
  sample, the sample stored in a SQLite control DB) and the agent answering it;
- theirs: Debian's `prometheus-mysqld-exporter` (default collectors) scraped by a private
  Prometheus at the same interval.

CPU seconds per hour of each process (agent, exporter, Prometheus: /proc utime+stime over the
phase; collector: the thread CPU time of its rounds), and of mariadbd in each phase. The
sandbox half of a sample (cgroup and /proc reads on the host) is not in it: there is no
sandbox here, and the exporter has no such half either. Then the collector's ingest
throughput: samples/s stored through `MetricsCollector.run` for N instances (the agent's
answer canned), into SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
from pydantic import SecretStr

from strongroom.config.monitoring import MonitoringSettings
from strongroom.contracts.agent import DatabaseSpec, PrepareRequest, UserSpec
from strongroom.contracts.metrics import MetricsSample
from strongroom.drivers.guest.local import LocalGuest
from strongroom.drivers.registry import DriverSet
from strongroom.drivers.specs import GuestTarget
from strongroom.monitoring.collector import MetricsCollector
from strongroom.pki import CertificateAuthority
from strongroom.store import metric_samples
from strongroom.store.database import Database, utcnow
from strongroom.store.migrate import upgrade
from strongroom.store.models import Instance, Network, Port
from tests.e2e.agent.agent_e2e_harness import Agent, Pki, prepared_agent
from tests.support.pgcluster import PgCluster, free_port
from tests.support.prometheus import Prometheus

EXPORTER = "/usr/bin/prometheus-mysqld-exporter"
TICK = os.sysconf("SC_CLK_TCK")
HOUR = 3600.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class NoSandbox:
    """The bench has no sandbox: the collector logs that and samples the engine only."""

    def sandbox_usage(self, instance_id: str) -> Any:
        raise LookupError("no sandbox in this bench")


class CannedGuest:
    """An agent's answer, as taken from the real one (for the ingest figure)."""

    def __init__(self, sample: MetricsSample) -> None:
        self.sample = sample

    def metrics(self, target: GuestTarget) -> MetricsSample:
        return self.sample.model_copy(update={"taken_at": utcnow()})


def drivers(guest: object) -> DriverSet:
    none = cast(Any, None)
    return DriverSet(cast(Any, NoSandbox()), none, none, cast(Any, guest))


def add_instances(db: Database, ids: list[str]) -> None:
    """Live ACTIVE instances with a management port on loopback."""
    now = utcnow()
    net = str(uuid.uuid4())
    with db.write() as s:
        s.add(
            Network(
                id=net,
                name=f"bench-{net[:8]}",
                role="management",
                subnet_id=str(uuid.uuid4()),
                cidr="127.0.0.0/8",
                host_address="127.0.0.1",
            )
        )
        s.flush()
        for i, iid in enumerate(ids):
            s.add(
                Instance(
                    id=iid,
                    name="bench",
                    project_id="bench",
                    status="ACTIVE",
                    flavor_id="sr.small",
                    datastore="mariadb",
                    datastore_version="10.11",
                    volume_size=1,
                    network_id=net,
                    created_at=now,
                    updated_at=now,
                )
            )
            s.add(
                Port(
                    id=str(uuid.uuid4()),
                    instance_id=iid,
                    network_id=net,
                    role="management",
                    address=f"127.0.{i // 250}.{i % 250 + 1}",
                    created_at=now,
                )
            )


@dataclass
class Phase:
    """CPU seconds per hour of each process in one phase, and what a collection carries."""

    costs: dict[str, float]
    engine: float
    values: float


def pace(interval: float, seconds: float, work: Any) -> None:
    """Call `work()` every `interval` for `seconds`."""
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < seconds:
        work()
        n += 1
        time.sleep(max(0.0, start + n * interval - time.monotonic()))


def ours(
    collector: MetricsCollector, db: Database, agent: Agent, interval: float, seconds: float
) -> Phase:
    engine_pid = agent.engine_pid()
    assert agent.proc is not None and engine_pid is not None
    spent = [0.0]

    def round_() -> None:
        before = time.thread_time()
        collector.run()
        spent[0] += time.thread_time() - before

    agent_before, engine_before = cpu_seconds(agent.proc.pid), cpu_seconds(engine_pid)
    started = time.monotonic()
    pace(interval, seconds, round_)
    elapsed = time.monotonic() - started
    per_hour = HOUR / elapsed
    with db.read() as s:
        last = metric_samples.last(s, agent.instance_id)
    return Phase(
        costs={
            "agent": (cpu_seconds(agent.proc.pid) - agent_before) * per_hour,
            "collector": spent[0] * per_hour,
        },
        engine=(cpu_seconds(engine_pid) - engine_before) * per_hour,
        values=float(len(last.values)) if last else 0.0,
    )


def theirs(
    exporter: subprocess.Popen[bytes],
    address: str,
    agent: Agent,
    workdir: Path,
    interval: float,
    seconds: float,
) -> Phase:
    engine_pid = agent.engine_pid()
    assert engine_pid is not None
    job = {
        "job_name": "mysqld",
        "scrape_interval": f"{interval:g}s",
        "scrape_timeout": "1s",
        "static_configs": [{"targets": [address]}],
    }
    prom = Prometheus(workdir)
    prom.start([job])
    try:
        prom.wait_for('up{job="mysqld"} == 1')
        time.sleep(1.0)  # past Prometheus's own start-up work
        assert prom.process is not None
        pids = {"exporter": exporter.pid, "prometheus": prom.process.pid}
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        engine_before = cpu_seconds(engine_pid)
        started = time.monotonic()
        time.sleep(seconds)
        elapsed = time.monotonic() - started
        costs = {
            name: (cpu_seconds(pid) - before[name]) * HOUR / elapsed for name, pid in pids.items()
        }
        engine = (cpu_seconds(engine_pid) - engine_before) * HOUR / elapsed
        scraped = prom.query('scrape_samples_scraped{job="mysqld"}')
        values = float(scraped[0]["value"][1]) if scraped else 0.0
    finally:
        prom.stop()
    return Phase(costs=costs, engine=engine, values=values)


def start_exporter(socket: Path, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    address = f"127.0.0.1:{port}"
    log = (workdir / "exporter.log").open("wb")
    proc = subprocess.Popen(
        [EXPORTER, f"--web.listen-address={address}", f"--config.my-cnf={workdir / 'none.cnf'}"],
        env={"DATA_SOURCE_NAME": f"root@unix({socket})/", "PATH": "/usr/bin:/bin"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    deadline = time.monotonic() + 15
    while True:
        try:
            if "mysql_up 1" in httpx.get(f"http://{address}/metrics", timeout=2).text:
                return proc, address
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError((workdir / "exporter.log").read_text()[-2000:])
        time.sleep(0.1)


def ingest(url: str, sample: MetricsSample, instances: int, rounds: int) -> float:
    """Samples/s stored by `MetricsCollector.run` for `instances` at once."""
    db = Database(url)
    try:
        upgrade(db)
        add_instances(db, [str(uuid.uuid4()) for _ in range(instances)])
        # interval 0: no round skips an instance sampled a moment ago (not a valid setting)
        settings = MonitoringSettings.model_construct(collect_interval_seconds=0.0)
        collector = MetricsCollector(db, drivers(CannedGuest(sample)), settings)
        collector.run()  # warm: connections, statements
        started = time.perf_counter()
        for _ in range(rounds):
            collector.run()
        return instances * rounds / (time.perf_counter() - started)
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="per phase at 1 s")
    parser.add_argument("--ingest-instances", type=int, default=50)
    parser.add_argument("--ingest-rounds", type=int, default=20)
    parser.add_argument("--no-postgresql", action="store_true")
    args = parser.parse_args()
    if os.geteuid() != 0 or not Path(EXPORTER).exists():
        sys.exit(
            "needs root (the agent runs mariadbd as mysql), prometheus and "
            "prometheus-mysqld-exporter (scripts/bootstrap --test installs them)"
        )
    root = Path(tempfile.mkdtemp(prefix="srbench-cost-", dir="/tmp"))
    root.chmod(0o755)
    agents: dict[str, Agent] = {}
    try:
        report(root, agents, args)
    finally:
        for agent in agents.values():
            agent.cleanup()
        shutil.rmtree(root, ignore_errors=True)


def report(root: Path, agents: dict[str, Agent], args: argparse.Namespace) -> None:
    ca_dir = root / "pki" / "ca"
    ca = CertificateAuthority.load_or_create(ca_dir)
    pki = Pki(root / "pki", ca, ca.ensure_client_certificate(ca_dir))
    password = SecretStr("Bench-" + uuid.uuid4().hex)
    request = PrepareRequest(
        databases=[DatabaseSpec(name="shop")],
        users=[UserSpec(name="app", password=password, databases=["shop"])],
    )
    agent = prepared_agent(agents, root, pki, str(uuid.uuid4()), request)
    socket = next((agent.root / "run").rglob("*.sock"))
    db = Database(f"sqlite:///{root / 'control.db'}")
    upgrade(db)
    add_instances(db, [agent.instance_id])
    assert agent.proc is not None
    before = cpu_seconds(agent.proc.pid)
    time.sleep(args.seconds / 2)
    idle = (cpu_seconds(agent.proc.pid) - before) * HOUR / (args.seconds / 2)
    exporter, address = start_exporter(socket, root)
    rows: list[tuple[float, Phase, Phase]] = []
    try:
        for interval, seconds in ((1.0, args.seconds), (10.0, args.seconds * 3)):
            settings = MonitoringSettings(collect_interval_seconds=interval)
            collector = MetricsCollector(db, drivers(LocalGuest(ca_dir, agent.port)), settings)
            a = ours(collector, db, agent, interval, seconds)
            b = theirs(exporter, address, agent, root / f"prom-{interval:g}", interval, seconds)
            rows.append((interval, a, b))
    finally:
        exporter.kill()
        exporter.wait(10)
    sample = agent.client().metrics()
    db.dispose()
    print_costs(rows, idle)
    urls = [("sqlite", f"sqlite:///{root / 'ingest.db'}")]
    cluster = None
    if not args.no_postgresql:
        cluster = PgCluster()
        cluster.start()
        urls.append(("postgresql", cluster.create_database()))
    try:
        for kind, url in urls:
            rate = ingest(url, sample, args.ingest_instances, args.ingest_rounds)
            print(
                f"collector ingest, {kind}: {rate:,.0f} samples/s "
                f"({args.ingest_instances} instances x {args.ingest_rounds} rounds, "
                f"one transaction per sample)"
            )
    finally:
        if cluster is not None:
            cluster.stop()


def print_costs(rows: list[tuple[float, Phase, Phase]], idle: float) -> None:
    print("collection cost, one idle MariaDB 10.11, CPU seconds per hour (same run)")
    print(f"agent with nobody asking: {idle:.1f} s/h (its own duties; included below)")
    print(
        "interval | agent | collector | ours | mysqld-exporter | prometheus | theirs "
        "| agent/exporter | ours/theirs"
    )
    for interval, a, b in rows:
        ours_total, theirs_total = sum(a.costs.values()), sum(b.costs.values())
        print(
            f"{interval:>6g} s | {a.costs['agent']:.1f} | {a.costs['collector']:.1f} "
            f"| {ours_total:.1f} | {b.costs['exporter']:.1f} | {b.costs['prometheus']:.1f} "
            f"| {theirs_total:.1f} | {a.costs['agent'] / max(b.costs['exporter'], 1e-9):.2f} "
            f"| {ours_total / max(theirs_total, 1e-9):.2f}"
        )
        per = interval * 1000 / HOUR
        print(
            f"         CPU ms per collection: agent {a.costs['agent'] * per:.1f}, collector "
            f"{a.costs['collector'] * per:.1f}, exporter {b.costs['exporter'] * per:.1f}, "
            f"prometheus {b.costs['prometheus'] * per:.1f}"
        )
        print(
            f"         values per collection: ours {a.values:.0f}, exporter {b.values:.0f}; "
            f"mariadbd CPU s/h: ours {a.engine:.1f}, exporter {b.engine:.1f}"
        )


if __name__ == "__main__":
    main()
