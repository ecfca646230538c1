"""Configuration, resize and logs through the agent's mTLS API against a real engine of each
datastore: a dynamic value is live at once, a static one after the restart it asks for,
detaching returns to the defaults, a resize re-sizes the buffer pool / shared buffers and keeps
the data, the slow query log fills with a slow query."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import pytest
from agent_e2e_harness import Agent, Pki, prepared_agent

from strongroom.contracts.agent import DatabaseSpec, LogType, PrepareRequest, UserSpec
from strongroom.contracts.errors import BadRequest, NotFound
from strongroom.drivers.guest.http import AgentClient
from tests.support.datastore_clients import ConfigCase, DatastoreClient

pytestmark = pytest.mark.e2e

INSTANCE = "inst-configuration"
PASSWORD = "Pw-" + secrets.token_hex(12)


@pytest.fixture(scope="module")
def agent(agents: dict[str, Agent], e2e_root: Path, pki: Pki, datastore: DatastoreClient) -> Agent:
    request = PrepareRequest(
        databases=[DatabaseSpec(name="shop")],
        users=[UserSpec(name="app", password=PASSWORD, databases=["shop"])],
    )
    return prepared_agent(agents, e2e_root, pki, INSTANCE, request, datastore)


@pytest.fixture(scope="module")
def client(agent: Agent) -> AgentClient:
    return agent.client()


@pytest.fixture(scope="module")
def case(datastore: DatastoreClient) -> ConfigCase:
    return datastore.config


def user_sees(agent: Agent, name: str) -> str:
    with agent.session("app", PASSWORD, "shop") as session:
        return agent.datastore.setting(session, name)


def restart(agent: Agent, client: AgentClient) -> None:
    pid = agent.engine_pid()
    client.wait_operation(client.restart(), timeout=60)
    assert agent.engine_pid() not in (None, pid)


def test_dynamic_value_is_live_and_static_waits_for_restart(
    agent: Agent, client: AgentClient, case: ConfigCase
) -> None:
    watched = [case.dynamic, case.static]
    assert client.effective_configuration([case.static]) == {case.static: case.static_default}
    pid = agent.engine_pid()
    values = {case.dynamic: case.dynamic_value, case.static: case.static_value}
    assert client.apply_configuration(values, [case.dynamic]) == [case.static]
    assert agent.engine_pid() == pid  # nothing restarted
    assert user_sees(agent, case.dynamic) == str(case.dynamic_value)
    assert client.effective_configuration(watched) == {
        case.dynamic: str(case.dynamic_value),
        case.static: case.static_default,
    }
    restart(agent, client)
    assert client.effective_configuration(watched) == {
        case.dynamic: str(case.dynamic_value),
        case.static: str(case.static_value),
    }
    assert client.apply_configuration(values, [case.dynamic]) == []  # already running


def test_detach_returns_to_defaults_after_restart(
    agent: Agent, client: AgentClient, case: ConfigCase
) -> None:
    pending = client.apply_configuration({}, [])
    # MariaDB keeps a live value until the restart; PostgreSQL's reload reverts it at once
    assert case.static in pending and set(pending) <= {case.dynamic, case.static}
    restart(agent, client)
    assert client.effective_configuration([case.dynamic, case.static]) == {
        case.dynamic: case.dynamic_default,
        case.static: case.static_default,
    }


def test_live_changes_need_no_restart_until_undone(
    agent: Agent, client: AgentClient, case: ConfigCase
) -> None:
    pid = agent.engine_pid()
    assert client.apply_configuration({case.dynamic: case.dynamic_other}, [case.dynamic]) == []
    client.set_log_enabled("general", True)
    request = PrepareRequest(databases=[DatabaseSpec(name="shop")])
    client.wait_operation(client.prepare(request), timeout=60)
    client.wait_operation(client.start(), timeout=60)
    assert agent.engine_pid() == pid  # changed live: the server is up to date
    assert user_sees(agent, case.dynamic) == str(case.dynamic_other)
    for name, value in case.general_on.items():
        assert user_sees(agent, name) == value
    client.set_log_enabled("general", False)
    assert set(client.apply_configuration({}, [])) <= {case.dynamic}
    restart(agent, client)
    assert user_sees(agent, case.dynamic) == case.dynamic_default
    for name, value in case.general_off.items():
        assert user_sees(agent, name) == value


def test_bad_parameters_are_refused_and_change_nothing(
    agent: Agent, client: AgentClient, case: ConfigCase
) -> None:
    for values, reason in case.bad:
        with pytest.raises(BadRequest, match=reason):
            client.apply_configuration(values, list(values))
        assert client.apply_configuration({}, []) == [], values
        assert user_sees(agent, case.dynamic) == case.dynamic_default
    assert client.status().health.healthy


def test_effective_configuration_refuses_bad_names(client: AgentClient) -> None:
    with pytest.raises(BadRequest):
        client.effective_configuration(["x' OR '1"])
    assert len(client.effective_configuration([])) > 300  # every variable


def test_logs_are_listed_with_types(client: AgentClient) -> None:
    logs = {log.name: log for log in client.list_logs()}
    assert sorted(logs) == ["error", "general", "slow_query"]
    assert logs["error"].type is LogType.SYS and logs["error"].enabled
    assert logs["error"].size_bytes > 0
    assert logs["slow_query"].type is LogType.USER and not logs["slow_query"].enabled
    with pytest.raises(BadRequest):
        client.set_log_enabled("error", False)
    with pytest.raises(NotFound):
        client.set_log_enabled("audit", True)
    head = client.read_log("error", offset=0, length=64)
    assert head.offset == 0 and len(head.data) == 64 and head.size_bytes >= 64


def test_slow_query_log_fills_with_a_slow_query(
    agent: Agent, client: AgentClient, case: ConfigCase
) -> None:
    client.apply_configuration(case.slow_threshold, list(case.slow_threshold))
    view = client.set_log_enabled("slow_query", True)
    assert view.enabled and Path(view.path).exists()
    before = view.size_bytes
    with agent.session("app", PASSWORD, "shop") as session:
        session.query(agent.datastore.sleep)
    deadline = time.monotonic() + 5
    while client.read_log("slow_query").size_bytes <= before and time.monotonic() < deadline:
        time.sleep(0.05)
    tail = client.read_log("slow_query", length=4096)
    assert tail.size_bytes > before
    assert agent.datastore.sleep.encode() in tail.data
    assert client.effective_configuration(list(case.slow_on)) == case.slow_on


def test_resize_resizes_the_buffer_pool_keeps_data_and_log_switches(
    agent: Agent, client: AgentClient, case: ConfigCase
) -> None:
    datastore = agent.datastore
    with agent.session("app", PASSWORD, "shop") as session:
        session.query("CREATE TABLE items (id INT PRIMARY KEY)")
        session.query("INSERT INTO items VALUES (1), (2), (3)")
    pid = agent.engine_pid()
    record = client.wait_operation(client.resize(512, 2), timeout=60)
    assert record.kind == "resize"
    assert agent.engine_pid() not in (None, pid)
    with agent.session("app", PASSWORD, "shop") as session:
        assert datastore.sizing(session)[0] == datastore.expected_sizing(512)[0]
        assert session.one("SELECT COUNT(*) FROM items") == (3,)
    assert client.effective_configuration(list(case.slow_on)) == case.slow_on
    pid = agent.engine_pid()
    client.wait_operation(client.resize(512, 2), timeout=60)
    assert agent.engine_pid() == pid  # same sizing: no restart


def test_log_switched_off_stays_off_after_restart(
    agent: Agent, client: AgentClient, case: ConfigCase
) -> None:
    assert not client.set_log_enabled("slow_query", False).enabled
    assert client.effective_configuration(list(case.slow_off)) == case.slow_off
    restart(agent, client)
    assert client.effective_configuration(list(case.slow_off)) == case.slow_off
    assert {log.name: log.enabled for log in client.list_logs()}["slow_query"] is False


def test_password_never_logged(agent: Agent) -> None:
    files = [path for path in agent.log_dir.rglob("*") if path.is_file()]
    files.append(agent.root / "agent.stdout")
    for path in files:
        assert PASSWORD not in path.read_text(errors="replace"), path
