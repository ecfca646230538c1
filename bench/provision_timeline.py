"""Where one create's time goes: a timeline of N creates, one at a time.

    sudo .venv/bin/python -m bench.provision_timeline [--datastore postgresql] [--creates 3]

Runs `strongroom up` as `bench.provision` does, then for each create prints, relative to the
POST, when the worker claimed the job and ended each step (worker log), the agent's own log
lines (boot initialisation, install done, server start, first requests; the operation polls
left out) and how busy the machine's CPUs were (/proc/stat, every 0.25 s). The instances are
deleted at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import secrets
import tempfile
import threading
import time
from pathlib import Path

from bench.provision import Plane
from tests.e2e.local_backend.local_backend_harness import LocalRun, free_subnets, sweep

_STAMP = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})")


def stamp(line: str) -> float | None:
    """Epoch seconds of a log line's asctime, or None."""
    match = _STAMP.match(line)
    if match is None:
        return None
    return dt.datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()


class CpuSampler:
    """Share of all CPUs busy, sampled every `period` seconds in the background."""

    def __init__(self, period: float = 0.25) -> None:
        self.period = period
        self.samples: list[tuple[float, int, int]] = []
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
            self.samples.append((time.time(), sum(fields), fields[3] + fields[4]))
            time.sleep(self.period)

    def between(self, start: float, end: float) -> list[tuple[float, str]]:
        out = []
        for (_, total_a, idle_a), (t, total_b, idle_b) in zip(
            self.samples, self.samples[1:], strict=False
        ):
            if start <= t <= end:
                busy = 1 - (idle_b - idle_a) / max(1, total_b - total_a)
                out.append((t, f"CPUs {100 * busy:.0f} % busy"))
        return out


def timeline(plane: Plane, run: LocalRun, name: str, datastore: str, cpu: CpuSampler) -> None:
    started = time.time()
    took = plane.create_and_wait(name, datastore)
    ended = time.time()
    listing = plane.client.get(f"{plane.base}/instances").json()["instances"]
    instance_id = next(i["id"] for i in listing if i["name"] == name)
    events = [(started, "POST /instances")]
    for line in (run.state_dir / "up.log").read_text(errors="replace").splitlines():
        t = stamp(line)
        if t is not None and started <= t <= ended + 0.5 and "create_instance" in line:
            events.append((t, "worker: " + line.split(": ", 1)[-1][:100]))
    agent_log = run.state_dir / "run" / instance_id / "log" / "agent.log"
    for line in agent_log.read_text(errors="replace").splitlines():
        t = stamp(line)
        if t is not None and "/v1/operations/" not in line:
            text = re.sub(r"^\S+ \S+ \S+ instance=\S+ ", "", line)
            events.append((t, "agent: " + text[:100]))
    events += cpu.between(started, ended)
    print(f"=== {name}: {took:.2f} s to ACTIVE + HEALTHY, load {Path('/proc/loadavg').read_text()}")
    for t, text in sorted(events):
        print(f"  +{t - started:6.3f} s  {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datastore", choices=("mariadb", "postgresql"), default="mariadb")
    parser.add_argument("--creates", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="srtimeline-"))
    root.chmod(0o755)
    management, public = free_subnets(2)
    run = LocalRun(f"srt{secrets.token_hex(2)}", root / "state", management, public)
    run.state_dir.mkdir(mode=0o755)
    plane = Plane(run)
    cpu = CpuSampler()
    try:
        for i in range(args.creates):
            time.sleep(1.0)
            timeline(plane, run, f"tl{i}", args.datastore, cpu)
    finally:
        plane.stop()
        sweep(run)


if __name__ == "__main__":
    main()
