"""Engine initialisation at boot (the boot file the control plane installs beside the agent's
config): the engine runs before any prepare, and prepare then only adds databases and users to
that same server; an agent killed while initialising leaves nothing prepare cannot converge;
restarting the agent never starts an engine on a volume already in use."""

from __future__ import annotations

import json
import secrets
import time

import pytest
from agent_e2e_harness import Agent, Pki, free_port, processes_mentioning

from strongroom.contracts.agent import EngineState, PrepareRequest, UserSpec
from strongroom_agent.cli import BOOT_FILE
from tests.support.datastore_clients import DatastoreClient

pytestmark = pytest.mark.e2e

PASSWORD = "Boot-" + secrets.token_hex(12)
BOOT_TIMEOUT = 90.0


def booting_agent(
    agents: dict[str, Agent], e2e_root, pki: Pki, name: str, datastore: DatastoreClient
) -> Agent:
    """An agent started with a boot file naming its engine, on a fresh data dir."""
    key = f"{name}-{datastore.name}"
    root = e2e_root / key
    root.mkdir(mode=0o755)
    agent = Agent(name, root, free_port(), free_port(), pki, datastore)
    agents[key] = agent
    agent.write_config()
    (root / BOOT_FILE).write_text(json.dumps({"engine": datastore.name}))
    agent.start()
    return agent


def wait_running(agent: Agent) -> None:
    client = agent.client()
    deadline = time.monotonic() + BOOT_TIMEOUT
    while True:
        status = client.status()
        if status.engine_state is EngineState.RUNNING and status.health.healthy:
            return
        assert time.monotonic() < deadline, f"the engine did not start at boot: {status}"
        time.sleep(0.1)


def prepare_user(agent: Agent, name: str) -> None:
    client = agent.client()
    request = PrepareRequest(users=[UserSpec(name=name, password=PASSWORD)])
    client.wait_operation(client.prepare(request), timeout=BOOT_TIMEOUT)


def engines_of(agent: Agent) -> list[int]:
    return [pid for pid, _ in processes_mentioning(str(agent.engine_data_dir))]


def test_engine_starts_at_boot_prepare_adds_accounts_and_a_restart_keeps_it_stopped(
    agents: dict[str, Agent], e2e_root, pki: Pki, datastore: DatastoreClient
) -> None:
    agent = booting_agent(agents, e2e_root, pki, "inst-boot", datastore)
    wait_running(agent)
    pid = agent.engine_pid()
    prepare_user(agent, "bootuser")
    assert agent.engine_pid() == pid  # the server initialised at boot is kept, not restarted
    with agent.session("bootuser", PASSWORD):
        pass

    client = agent.client()
    client.wait_operation(client.stop(), timeout=BOOT_TIMEOUT)
    agent.kill()
    agent.start()  # the boot file is still there, the volume is in use
    time.sleep(1.0)  # what a boot initialisation would have needed to begin
    assert agent.client().status().engine_state is EngineState.STOPPED
    assert not engines_of(agent)


def test_prepare_right_after_start_waits_for_boot_initialisation(
    agents: dict[str, Agent], e2e_root, pki: Pki, datastore: DatastoreClient
) -> None:
    agent = booting_agent(agents, e2e_root, pki, "inst-early", datastore)
    prepare_user(agent, "early")  # submitted while the boot initialisation runs
    with agent.session("early", PASSWORD):
        pass
    assert len(engines_of(agent)) == 1


def test_agent_killed_while_initialising_then_prepare_converges(
    agents: dict[str, Agent], e2e_root, pki: Pki, datastore: DatastoreClient
) -> None:
    agent = booting_agent(agents, e2e_root, pki, "inst-bootcrash", datastore)
    agent.kill()  # answered `status`: the initialisation began, and is cut wherever it is
    agent.start()  # same boot file, but the volume is no longer fresh: left to prepare
    prepare_user(agent, "survivor")
    with agent.session("survivor", PASSWORD):
        pass
    assert engines_of(agent) == [agent.engine_pid()]
