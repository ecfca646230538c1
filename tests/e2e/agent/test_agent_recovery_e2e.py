"""Recovery: leftovers of a crash are cleaned up, a pid file naming someone else's process is
never trusted, and a crashed engine shows as failed until started again."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest
from agent_e2e_harness import Agent, Pki, launch_agent, processes_mentioning

from strongroom.contracts.agent import EngineState, PrepareRequest, UserSpec

pytestmark = pytest.mark.e2e

PASSWORD = "recover-pw-1"


@pytest.fixture
def bystander() -> Iterator[subprocess.Popen[bytes]]:
    """An unrelated live process whose pid we plant in the engine's pid file."""
    proc = subprocess.Popen(["sleep", "60"])
    yield proc
    proc.kill()
    proc.wait()


def plant_leftovers(agent: Agent, pid: int) -> None:
    partial = agent.data_dir / "mysql.partial"
    partial.mkdir(parents=True)
    (partial / "ibdata1").write_bytes(b"half-written")
    agent.engine_pidfile.parent.mkdir(parents=True)
    agent.engine_pidfile.write_text(f"{pid}\n")


def wait_state(agent: Agent, wanted: EngineState, timeout: float = 10) -> None:
    client = agent.client()
    deadline = time.monotonic() + timeout
    while client.status().engine_state is not wanted:
        assert time.monotonic() < deadline, f"engine never became {wanted}"
        time.sleep(0.1)


def test_prepare_after_crash_leftovers_then_engine_crash_and_start(
    agents: dict[str, Agent], e2e_root: Path, pki: Pki, bystander: subprocess.Popen[bytes]
) -> None:
    # supervision off: this is about starting a crashed engine on request
    agent = launch_agent(agents, e2e_root, pki, "inst-recover", restart_attempts=0)
    plant_leftovers(agent, bystander.pid)
    client = agent.client()
    assert client.status().engine_state is EngineState.STOPPED
    request = PrepareRequest(users=[UserSpec(name="carol", password=PASSWORD)])
    client.wait_operation(client.prepare(request), timeout=60)
    assert bystander.poll() is None
    assert not (agent.data_dir / "mysql.partial").exists()
    engine_pid = agent.engine_pid()
    assert engine_pid not in (None, bystander.pid)

    os.kill(engine_pid, signal.SIGKILL)
    wait_state(agent, EngineState.FAILED)
    client.wait_operation(client.start(), timeout=60)
    assert client.status().engine_state is EngineState.RUNNING
    servers = processes_mentioning(f"--datadir={agent.data_dir / 'mysql'}")
    assert [pid for pid, _ in servers] == [agent.engine_pid()]
    pymysql.connect(
        host="127.0.0.1", port=agent.engine_port, user="carol", password=PASSWORD
    ).close()


def test_the_agent_starts_a_crashed_engine_again_then_gives_up(
    agents: dict[str, Agent], e2e_root: Path, pki: Pki
) -> None:
    agent = launch_agent(
        agents,
        e2e_root,
        pki,
        "inst-supervised",
        restart_attempts=1,
        supervise_interval_seconds=0.2,
    )
    client = agent.client()
    request = PrepareRequest(users=[UserSpec(name="carol", password=PASSWORD)])
    client.wait_operation(client.prepare(request), timeout=60)
    first = agent.engine_pid()
    assert first is not None

    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while not client.status().restarts:
        assert time.monotonic() < deadline, "the crashed engine was never started again"
        time.sleep(0.1)
    wait_state(agent, EngineState.RUNNING, timeout=30)
    status = client.status()
    assert [(r.attempt, r.outcome.value) for r in status.restarts] == [(1, "restarted")]
    assert agent.engine_pid() not in (None, first)
    pymysql.connect(
        host="127.0.0.1", port=agent.engine_port, user="carol", password=PASSWORD
    ).close()

    os.kill(agent.engine_pid() or 0, signal.SIGKILL)  # a second crash within the window
    deadline = time.monotonic() + 30
    while [r.outcome.value for r in client.status().restarts][-1:] != ["gave_up"]:
        assert time.monotonic() < deadline, "the agent never gave up"
        time.sleep(0.1)
    assert client.status().engine_state is EngineState.FAILED
