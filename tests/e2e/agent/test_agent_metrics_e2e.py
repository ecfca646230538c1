"""Metrics through the agent's mTLS API against a real mariadbd: counters move with a
user's queries, open connections are counted, the volume reports bytes and inodes, and the
top queries list the user's statement digest (never the agent's own sessions)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from agent_e2e_harness import Agent, Pki, prepared_agent

from strongroom.contracts.agent import DatabaseSpec, PrepareRequest, UserSpec
from strongroom.drivers.guest.http import AgentClient

pytestmark = pytest.mark.e2e

INSTANCE = "inst-metrics"
PASSWORD = "Pw-" + secrets.token_hex(12)


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


def test_counters_follow_user_queries_and_connections(agent: Agent, client: AgentClient) -> None:
    before = client.metrics()
    assert before.engine.up
    assert before.engine.max_connections and before.engine.max_connections >= 20
    with agent.login("app", PASSWORD, "shop") as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS items (id INT PRIMARY KEY, name TEXT)")
        for i in range(20):
            cur.execute("REPLACE INTO items VALUES (%s, %s)", (i, f"item {i}"))
            cur.execute("SELECT name FROM items WHERE id = %s", (i,))
        during = client.metrics()
    after = client.metrics()
    assert during.engine.connections is not None and during.engine.connections >= 1
    assert after.engine.questions_total is not None and before.engine.questions_total is not None
    assert after.engine.questions_total - before.engine.questions_total >= 40
    assert after.engine.queries_total and after.engine.buffer_read_requests_total
    assert after.engine.threads_running is not None and after.engine.threads_running >= 1
    volume = after.volume
    assert volume.used_bytes > 0 and volume.free_bytes > 0 and volume.inodes_used > 0
    assert volume.total_bytes >= volume.used_bytes + volume.free_bytes


def test_top_queries_list_the_users_digest_not_the_agents(
    agent: Agent, client: AgentClient
) -> None:
    with agent.login("app", PASSWORD, "shop") as conn, conn.cursor() as cur:
        for i in range(7):
            statement = "SELECT COUNT(*) FROM information_schema.tables WHERE table_rows > %s"
            cur.execute(statement, (i,))
    client.metrics()  # the agent's own sampling must not appear
    top = client.top_queries(limit=100).queries
    mine = [q for q in top if "information_schema" in q.text and "table_rows" in q.text]
    assert len(mine) == 1, [q.text for q in top]
    assert mine[0].calls == 7 and mine[0].total_time_ms > 0 and mine[0].rows_sent == 7
    assert "?" in mine[0].text  # literals are normalised away
    agents = ("GLOBAL STATUS", "sql_log_off", "INSTRUMENTED", "SELECT ?")
    agent_statements = [q.text for q in top if any(a in q.text for a in agents)]
    assert agent_statements == []
    assert client.top_queries(limit=1).queries[0] == top[0]
