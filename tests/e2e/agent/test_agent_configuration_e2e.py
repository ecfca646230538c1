"""Configuration, resize and logs through the agent's mTLS API against a real mariadbd: a
dynamic value is live at once, a static one after the restart it asks for, detaching returns
to the defaults, a resize re-sizes the buffer pool and keeps the data, the slow query log
fills with a slow query."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import pytest
from agent_e2e_harness import Agent, Pki, prepared_agent

from strongroom.contracts.agent import (
    DatabaseSpec,
    LogType,
    ParameterValue,
    PrepareRequest,
    UserSpec,
)
from strongroom.contracts.errors import BadRequest, NotFound
from strongroom.drivers.guest.http import AgentClient
from strongroom_agent.engines.mariadb.config import size_for

pytestmark = pytest.mark.e2e

INSTANCE = "inst-configuration"
PASSWORD = "Pw-" + secrets.token_hex(12)
MIB = 1024 * 1024
STATIC = "innodb_log_buffer_size"  # read-only at run time in 10.11 (innodb_log_file_size is not)
STATIC_DEFAULT = str(16 * MIB)
WATCHED = ["max_connections", STATIC]


@pytest.fixture(scope="module")
def agent(agents: dict[str, Agent], e2e_root: Path, pki: Pki) -> Agent:
    request = PrepareRequest(
        databases=[DatabaseSpec(name="shop")],
        users=[UserSpec(name="app", password=PASSWORD, databases=["shop"])],
    )
    return prepared_agent(agents, e2e_root, pki, INSTANCE, request)


@pytest.fixture(scope="module")
def client(agent: Agent) -> AgentClient:
    return agent.client()


def user_sees(agent: Agent, variable: str) -> str:
    with agent.login("app", PASSWORD, "shop") as conn, conn.cursor() as cur:
        cur.execute("SHOW GLOBAL VARIABLES LIKE %s", (variable,))
        return str(cur.fetchone()[1])


def restart(agent: Agent, client: AgentClient) -> None:
    pid = agent.engine_pid()
    client.wait_operation(client.restart(), timeout=60)
    assert agent.engine_pid() not in (None, pid)


def test_dynamic_value_is_live_and_static_waits_for_restart(
    agent: Agent, client: AgentClient
) -> None:
    assert client.effective_configuration([STATIC]) == {STATIC: STATIC_DEFAULT}
    pid = agent.engine_pid()
    values = {"max_connections": 77, STATIC: 32 * MIB}
    assert client.apply_configuration(values, ["max_connections"]) == [STATIC]
    assert agent.engine_pid() == pid  # nothing restarted
    assert user_sees(agent, "max_connections") == "77"
    assert client.effective_configuration(WATCHED) == {
        "max_connections": "77",
        STATIC: STATIC_DEFAULT,
    }
    restart(agent, client)
    assert client.effective_configuration(WATCHED) == {
        "max_connections": "77",
        STATIC: str(32 * MIB),
    }
    assert client.apply_configuration(values, ["max_connections"]) == []  # already running


def test_detach_returns_to_defaults_after_restart(agent: Agent, client: AgentClient) -> None:
    assert client.apply_configuration({}, []) == sorted(WATCHED)
    restart(agent, client)
    assert client.effective_configuration(WATCHED) == {
        "max_connections": str(size_for(256).max_connections),
        STATIC: STATIC_DEFAULT,
    }


def test_live_changes_need_no_restart_until_undone(agent: Agent, client: AgentClient) -> None:
    pid = agent.engine_pid()
    assert client.apply_configuration({"max_connections": 60}, ["max_connections"]) == []
    client.set_log_enabled("general", True)
    request = PrepareRequest(databases=[DatabaseSpec(name="shop")])
    client.wait_operation(client.prepare(request), timeout=60)
    client.wait_operation(client.start(), timeout=60)
    assert agent.engine_pid() == pid  # changed live: the server is up to date
    assert user_sees(agent, "max_connections") == "60"
    assert user_sees(agent, "general_log") == "ON"
    client.set_log_enabled("general", False)
    assert client.apply_configuration({}, []) == ["max_connections"]  # 60 until restarted
    restart(agent, client)
    assert user_sees(agent, "max_connections") == str(size_for(256).max_connections)
    assert user_sees(agent, "general_log") == "OFF"


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"datadir": "/tmp"}, "managed"),
        ({"bind_address": "0.0.0.0"}, "managed"),
        ({"Max_Connections": 10}, "must match"),
        ({"max_connections; DROP": 10}, "must match"),
        ({"no_such_variable": 1}, "unknown"),
        ({"sql_mode": "ANSI\n[mariadbd]"}, "printable"),
        ({"max_connections": "many"}, "must be a number"),
        ({STATIC: "lots"}, "must be a number"),
        ({"max_connections": 1.5}, "refused"),
    ],
)
def test_bad_parameters_are_refused_and_change_nothing(
    agent: Agent, client: AgentClient, values: dict[str, ParameterValue], reason: str
) -> None:
    with pytest.raises(BadRequest, match=reason):
        client.apply_configuration(values, list(values))
    assert client.apply_configuration({}, []) == []
    assert user_sees(agent, "max_connections") == str(size_for(256).max_connections)


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


def test_slow_query_log_fills_with_a_slow_query(agent: Agent, client: AgentClient) -> None:
    client.apply_configuration({"long_query_time": 0.1}, ["long_query_time"])
    view = client.set_log_enabled("slow_query", True)
    assert view.enabled and Path(view.path).exists()
    before = view.size_bytes
    with agent.login("app", PASSWORD, "shop") as conn, conn.cursor() as cur:
        cur.execute("SELECT SLEEP(0.3)")
    deadline = time.monotonic() + 5
    while client.read_log("slow_query").size_bytes <= before and time.monotonic() < deadline:
        time.sleep(0.05)
    tail = client.read_log("slow_query", length=4096)
    assert tail.size_bytes > before
    assert b"SELECT SLEEP(0.3)" in tail.data
    assert client.effective_configuration(["slow_query_log"]) == {"slow_query_log": "ON"}


def test_resize_resizes_the_buffer_pool_keeps_data_and_log_switches(
    agent: Agent, client: AgentClient
) -> None:
    with agent.login("app", PASSWORD, "shop") as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE items (id INT PRIMARY KEY)")
        cur.execute("INSERT INTO items VALUES (1), (2), (3)")
    pid = agent.engine_pid()
    record = client.wait_operation(client.resize(512, 2), timeout=60)
    assert record.kind == "resize"
    assert agent.engine_pid() not in (None, pid)
    pool = client.effective_configuration(["innodb_buffer_pool_size"])["innodb_buffer_pool_size"]
    assert int(pool) == size_for(512).buffer_pool_mib * MIB
    with agent.login("app", PASSWORD, "shop") as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM items")
        assert cur.fetchone() == (3,)
    assert client.effective_configuration(["slow_query_log", "long_query_time"]) == {
        "slow_query_log": "ON",
        "long_query_time": "0.100000",
    }
    pid = agent.engine_pid()
    client.wait_operation(client.resize(512, 2), timeout=60)
    assert agent.engine_pid() == pid  # same sizing: no restart


def test_log_switched_off_stays_off_after_restart(agent: Agent, client: AgentClient) -> None:
    assert not client.set_log_enabled("slow_query", False).enabled
    assert client.effective_configuration(["slow_query_log"]) == {"slow_query_log": "OFF"}
    restart(agent, client)
    assert client.effective_configuration(["slow_query_log"]) == {"slow_query_log": "OFF"}
    assert {log.name: log.enabled for log in client.list_logs()}["slow_query"] is False


def test_password_never_logged(agent: Agent) -> None:
    files = [path for path in agent.log_dir.rglob("*") if path.is_file()]
    files.append(agent.root / "agent.stdout")
    for path in files:
        assert PASSWORD not in path.read_text(errors="replace"), path
