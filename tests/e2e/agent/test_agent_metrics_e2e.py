"""Metrics through the agent's mTLS API against a real engine of each datastore: counters
move with a user's queries, open connections are counted, the volume reports bytes and inodes,
and the top queries list the user's normalised statement (never the agent's own sessions)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from agent_e2e_harness import Agent, Pki, prepared_agent

from strongroom.contracts.agent import DatabaseSpec, PrepareRequest, UserSpec
from strongroom.drivers.guest.http import AgentClient
from tests.support.datastore_clients import DatastoreClient

pytestmark = pytest.mark.e2e

INSTANCE = "inst-metrics"
PASSWORD = "Pw-" + secrets.token_hex(12)
CREATE_ITEMS = "CREATE TABLE IF NOT EXISTS items (id INT PRIMARY KEY, name TEXT)"


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


def test_counters_follow_user_queries_and_connections(agent: Agent, client: AgentClient) -> None:
    datastore = agent.datastore
    before = client.metrics()
    assert before.engine.up
    assert before.engine.max_connections and before.engine.max_connections >= 20
    with agent.session("app", PASSWORD, "shop") as session:
        session.query(CREATE_ITEMS)
        for i in range(20):
            session.query(datastore.upsert(), (i, f"item {i}"))
            session.query("SELECT name FROM items WHERE id = %s", (i,))
        during = client.metrics()
    after = client.metrics()
    assert during.engine.connections is not None and during.engine.connections >= 1
    counted = datastore.statement_counter
    started, ended = getattr(before.engine, counted), getattr(after.engine, counted)
    assert started is not None and ended is not None and ended - started >= 40
    missing = [name for name in datastore.engine_metrics if getattr(after.engine, name) is None]
    assert missing == []
    assert after.engine.buffer_read_requests_total
    assert after.engine.threads_running is not None and after.engine.threads_running >= 0
    volume = after.volume
    assert volume.used_bytes > 0 and volume.free_bytes > 0 and volume.inodes_used > 0
    assert volume.total_bytes >= volume.used_bytes + volume.free_bytes


def test_top_queries_list_the_users_statement_not_the_agents(
    agent: Agent, client: AgentClient
) -> None:
    datastore = agent.datastore
    with agent.session("app", PASSWORD, "shop") as session:
        session.query(CREATE_ITEMS)
        for i in range(7):
            session.query("SELECT COUNT(*) FROM items WHERE id > %s", (i,))
    client.metrics()  # the agent's own sampling must not appear
    top = client.top_queries(limit=100).queries
    mine = [q for q in top if "items" in q.text and "COUNT" in q.text.upper()]
    assert len(mine) == 1, [q.text for q in top]
    assert mine[0].calls == 7 and mine[0].total_time_ms > 0 and mine[0].rows_sent == 7
    assert datastore.literal_mark in mine[0].text  # literals are normalised away
    agent_statements = [q.text for q in top if any(w in q.text for w in datastore.agent_words)]
    assert agent_statements == []
    assert client.top_queries(limit=1).queries[0] == top[0]
