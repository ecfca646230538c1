"""The agent drives a real engine of each datastore: prepare, log in as the user, converge,
restart, survive an agent crash, never leak the password, and leave no process behind."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass

import pytest
from agent_e2e_harness import Agent, Pki, launch_agent, processes_mentioning

from strongroom.contracts.agent import (
    DatabaseSpec,
    EngineState,
    OperationState,
    PrepareRequest,
    UserSpec,
)
from tests.support.datastore_clients import DatastoreClient, Session

pytestmark = pytest.mark.e2e

INSTANCE = "inst-lifecycle"
PASSWORD = "Pw-" + secrets.token_hex(12)


@dataclass
class Prepared:
    agent: Agent
    request: PrepareRequest
    seconds: float
    responses: list[str]


def spec(datastore: DatastoreClient) -> PrepareRequest:
    charset, collation = datastore.database_options
    return PrepareRequest(
        listen_address="127.0.0.1",
        databases=[DatabaseSpec(name="shop", character_set=charset, collate=collation)],
        users=[UserSpec(name="alice", password=PASSWORD, databases=["shop"])],
    )


def user_session(agent: Agent) -> AbstractContextManager[Session]:
    return agent.session("alice", PASSWORD, "shop")


@pytest.fixture(scope="module")
def prepared(
    agents: dict[str, Agent], e2e_root, pki: Pki, datastore: DatastoreClient
) -> Iterator[Prepared]:
    """Agent started, status checked, prepare run once (timed until the user logs in)."""
    agent = launch_agent(agents, e2e_root, pki, INSTANCE, datastore)
    client = agent.client()
    before = client.status()
    assert before.engine_state is EngineState.STOPPED
    assert not before.health.healthy
    started = time.monotonic()
    op_id = client.prepare(spec(datastore))
    done = client.wait_operation(op_id, timeout=60)
    with user_session(agent):
        pass
    seconds = time.monotonic() - started
    print(f"\n{datastore.name} prepare from empty dir to user login: {seconds:.2f}s")
    request = spec(datastore)
    yield Prepared(agent, request, seconds, [before.model_dump_json(), done.model_dump_json()])


def test_status_reports_instance_engine_and_volume(prepared: Prepared) -> None:
    status = prepared.agent.client().status()
    prepared.responses.append(status.model_dump_json())
    assert status.instance_id == INSTANCE
    assert status.engine == prepared.agent.datastore.name
    assert status.engine_state is EngineState.RUNNING
    version = status.health.version
    assert status.health.healthy and version and prepared.agent.datastore.version_word in version
    assert 0 < status.volume.used_bytes < status.volume.total_bytes


def test_user_reads_and_writes_over_tcp(prepared: Prepared) -> None:
    datastore = prepared.agent.datastore
    with user_session(prepared.agent) as session:
        session.query("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20))")
        session.query("INSERT INTO items VALUES (1, 'lamp'), (2, 'desk')")
        rows = session.query("SELECT name FROM items ORDER BY id")
        assert [row[0] for row in rows] == ["lamp", "desk"]
        assert datastore.current_database_options(session) == datastore.database_options
        assert datastore.sizing(session) == datastore.expected_sizing(256)


def test_prepare_again_converges_without_restart(prepared: Prepared) -> None:
    client = prepared.agent.client()
    pid = prepared.agent.engine_pid()
    record = client.wait_operation(client.prepare(prepared.request), timeout=60)
    prepared.responses.append(record.model_dump_json())
    assert record.state is OperationState.SUCCEEDED
    assert prepared.agent.engine_pid() == pid
    with user_session(prepared.agent) as session:
        assert session.one("SELECT COUNT(*) FROM items") == (2,)


def test_restart_keeps_data(prepared: Prepared) -> None:
    client = prepared.agent.client()
    pid = prepared.agent.engine_pid()
    record = client.wait_operation(client.restart(), timeout=60)
    prepared.responses.append(record.model_dump_json())
    assert prepared.agent.engine_pid() not in (None, pid)
    assert client.status().engine_state is EngineState.RUNNING
    with user_session(prepared.agent) as session:
        assert session.one("SELECT name FROM items WHERE id = 2") == ("desk",)


def test_stop_then_start(prepared: Prepared) -> None:
    client = prepared.agent.client()
    client.wait_operation(client.stop(), timeout=60)
    assert client.status().engine_state is EngineState.STOPPED
    assert not processes_mentioning(str(prepared.agent.engine_data_dir))
    client.wait_operation(client.start(), timeout=60)
    assert client.status().engine_state is EngineState.RUNNING


def test_agent_crash_finds_running_engine(prepared: Prepared) -> None:
    agent = prepared.agent
    pid = agent.engine_pid()
    agent.kill()
    assert agent.engine_pid() == pid
    agent.start()
    status = agent.client().status()
    prepared.responses.append(status.model_dump_json())
    assert status.engine_state is EngineState.RUNNING and status.health.healthy
    servers = processes_mentioning(str(agent.engine_data_dir))
    assert [p for p, _ in servers] == [pid]
    record = agent.client().wait_operation(agent.client().prepare(prepared.request), 60)
    assert record.state is OperationState.SUCCEEDED and agent.engine_pid() == pid


def test_password_never_logged_or_echoed(prepared: Prepared) -> None:
    logs = [*prepared.agent.log_dir.rglob("*"), prepared.agent.root / "agent.stdout"]
    files = [path for path in logs if path.is_file()]
    assert any(path.name == "agent.log" for path in files)
    for path in files:
        assert PASSWORD not in path.read_text(errors="replace"), path
    for body in prepared.responses:
        assert PASSWORD not in body


def test_cleanup_leaves_no_process(prepared: Prepared) -> None:
    agent = prepared.agent
    engine_pid = agent.engine_pid()
    agent.cleanup()
    assert not processes_mentioning(str(agent.root))
    assert engine_pid is not None
    assert not any(
        pid == engine_pid for pid, _ in processes_mentioning(agent.datastore.process_name)
    )
