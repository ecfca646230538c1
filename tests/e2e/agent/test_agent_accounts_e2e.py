"""Day-2 databases, users and root through the agent's mTLS API on each datastore, each
checked with a real TCP login: a grant opens exactly one database, a revoke closes it, a
rename or a new password retires the old credentials, root over TCP exists only while
enabled."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from agent_e2e_harness import Agent, Pki, prepared_agent

from strongroom.contracts.agent import DatabaseSpec, PrepareRequest, UserSpec, UserUpdate
from strongroom.contracts.errors import BadRequest, InfrastructureError, NotFound
from strongroom.drivers.guest.http import AgentClient
from tests.support.datastore_clients import DatastoreClient, Refusal

pytestmark = pytest.mark.e2e

INSTANCE = "inst-accounts"
PASSWORD = "Pw-" + secrets.token_hex(12)
NEW_PASSWORD = "Pw2-" + secrets.token_hex(12)
ROOT_PASSWORD = "Root-" + secrets.token_hex(12)
REFUSED = Refusal.CREDENTIALS
NO_DATABASE_ACCESS = Refusal.DATABASE


@pytest.fixture(scope="module")
def agent(agents: dict[str, Agent], e2e_root: Path, pki: Pki, datastore: DatastoreClient) -> Agent:
    """A prepared instance without databases or users, general query log on (so that the
    password checks below also cover it)."""
    agent = prepared_agent(agents, e2e_root, pki, INSTANCE, PrepareRequest(), datastore)
    agent.client().set_log_enabled("general", True)
    return agent


@pytest.fixture(scope="module")
def client(agent: Agent) -> AgentClient:
    return agent.client()


def test_databases_create_list_delete(agent: Agent, client: AgentClient) -> None:
    datastore = agent.datastore
    charset, collation = datastore.database_options
    sales = DatabaseSpec(name="sales", character_set=charset, collate=collation)
    client.create_database(sales)
    client.create_database(sales)  # idempotent
    for name in ("hr", "scratch", "a_b", "aXb"):
        client.create_database(DatabaseSpec(name=name))
    client.delete_database("scratch")
    client.delete_database("scratch")  # idempotent
    listed = {database.name: database for database in client.list_databases()}
    assert sorted(listed) == ["aXb", "a_b", "hr", "sales"]  # no system schema
    assert listed["sales"] == sales
    assert listed["hr"].character_set == charset
    for name in datastore.system_databases:
        with pytest.raises(BadRequest):
            client.delete_database(name)
    with pytest.raises(BadRequest, match="reserved"):
        client.create_database(DatabaseSpec(name=datastore.system_databases[0]))
    with pytest.raises(BadRequest):
        client.create_database(DatabaseSpec(name="x", character_set="utf8; DROP"))
    with pytest.raises(BadRequest, match="character set or collation"):
        client.create_database(DatabaseSpec(name="x", character_set="klingon"))
    with pytest.raises(BadRequest, match="character set or collation"):
        client.create_database(
            DatabaseSpec(name="x", character_set="latin1", collate="utf8mb4_bin")
        )
    assert "x" not in {database.name for database in client.list_databases()}


def test_user_uses_the_granted_database_and_no_other(agent: Agent, client: AgentClient) -> None:
    view = client.create_user(UserSpec(name="app", password=PASSWORD, databases=["sales"]))
    assert (view.name, view.host, view.databases) == ("app", "%", ["sales"])
    with agent.session("app", PASSWORD, "sales") as session:
        session.query("CREATE TABLE orders (id INT PRIMARY KEY)")
        session.query("INSERT INTO orders VALUES (1)")
        visible = agent.datastore.visible_databases(session)
        assert visible == agent.datastore.public_databases | {"sales"}
    assert agent.refusal("app", PASSWORD, "hr") == NO_DATABASE_ACCESS
    assert [(u.name, u.databases) for u in client.list_users()] == [("app", ["sales"])]


def test_grant_then_revoke(agent: Agent, client: AgentClient) -> None:
    assert client.grant_databases("app", ["hr"]) == ["hr", "sales"]
    assert agent.refusal("app", PASSWORD, "hr") is None
    client.revoke_database("app", "hr")
    assert agent.refusal("app", PASSWORD, "hr") == NO_DATABASE_ACCESS
    assert client.user_databases("app") == ["sales"]
    client.revoke_database("app", "hr")  # nothing left to revoke: no error


def test_underscore_in_a_grant_is_not_a_wildcard(agent: Agent, client: AgentClient) -> None:
    client.grant_databases("app", ["a_b"])
    assert agent.refusal("app", PASSWORD, "a_b") is None
    assert agent.refusal("app", PASSWORD, "aXb") == NO_DATABASE_ACCESS
    assert client.user_databases("app") == ["a_b", "sales"]
    client.revoke_database("app", "a_b")
    assert agent.refusal("app", PASSWORD, "a_b") == NO_DATABASE_ACCESS


def test_dropping_a_database_drops_its_grants(agent: Agent, client: AgentClient) -> None:
    client.grant_databases("app", ["hr"])
    client.delete_database("hr")
    client.create_database(DatabaseSpec(name="hr"))
    assert client.user_databases("app") == ["sales"]
    assert agent.refusal("app", PASSWORD, "hr") == NO_DATABASE_ACCESS


def test_rename_keeps_grants_and_retires_the_old_name(agent: Agent, client: AgentClient) -> None:
    view = client.update_user("app", UserUpdate(name="app2"))
    assert (view.name, view.databases) == ("app2", ["sales"])
    assert agent.refusal("app", PASSWORD, "sales") in REFUSED
    with agent.session("app2", PASSWORD, "sales") as session:
        assert session.one("SELECT COUNT(*) FROM orders") == (1,)
    with pytest.raises(NotFound):
        client.get_user("app")


def test_password_change_refuses_the_old_password(agent: Agent, client: AgentClient) -> None:
    client.update_user("app2", UserUpdate(password=NEW_PASSWORD))
    assert agent.refusal("app2", PASSWORD) in REFUSED
    assert agent.refusal("app2", NEW_PASSWORD, "sales") is None


def test_host_change_and_taken_names(agent: Agent, client: AgentClient) -> None:
    client.create_user(UserSpec(name="other", password=PASSWORD))
    with pytest.raises(BadRequest, match="already exists"):
        client.update_user("app2", UserUpdate(name="other"))
    if not agent.datastore.user_hosts:  # a role has no host: only '%', said so
        with pytest.raises(BadRequest, match="host"):
            client.update_user("other", UserUpdate(host="10.9.9.9"))
        with pytest.raises(BadRequest, match="host"):
            client.create_user(UserSpec(name="third", password=PASSWORD, host="10.9.9.9"))
        client.delete_user("other")
        assert [u.name for u in client.list_users()] == ["app2"]
        return
    view = client.update_user("other", UserUpdate(host="10.9.9.9"))
    assert view.host == "10.9.9.9"
    assert agent.refusal("other", PASSWORD) in REFUSED  # logins come from 127.0.0.1
    client.delete_user("other", host="10.9.9.9")
    client.delete_user("other", host="10.9.9.9")  # idempotent
    assert [u.name for u in client.list_users()] == ["app2"]


def test_root_over_tcp_only_while_enabled(agent: Agent, client: AgentClient) -> None:
    assert not client.root_enabled()
    assert agent.refusal("root", ROOT_PASSWORD) in REFUSED
    client.enable_root(ROOT_PASSWORD)
    assert client.root_enabled()
    with agent.session("root", ROOT_PASSWORD) as session:
        assert agent.datastore.is_superuser(session)
    client.disable_root()
    assert not client.root_enabled()
    assert agent.refusal("root", ROOT_PASSWORD) in REFUSED
    assert client.status().health.healthy  # the agent's socket root stays
    assert all(user.name != "root" for user in client.list_users())


def test_reserved_users_are_refused(agent: Agent, client: AgentClient) -> None:
    for name in agent.datastore.reserved_users:
        _refuses_reserved(client, name)
    assert agent.refusal("app2", NEW_PASSWORD, "sales") is None


def _refuses_reserved(client: AgentClient, name: str) -> None:
    calls = [
        lambda: client.create_user(UserSpec(name=name, password=PASSWORD)),
        lambda: client.get_user(name, host="localhost"),
        lambda: client.delete_user(name, host="localhost"),
        lambda: client.update_user(name, UserUpdate(password=PASSWORD), host="localhost"),
        lambda: client.update_user("app2", UserUpdate(name=name)),
        lambda: client.grant_databases(name, ["sales"], host="localhost"),
        lambda: client.revoke_database(name, "sales", host="localhost"),
    ]
    for call in calls:
        with pytest.raises(BadRequest, match="reserved"):
            call()


def test_missing_users_and_databases(client: AgentClient) -> None:
    with pytest.raises(NotFound):
        client.get_user("ghost")
    with pytest.raises(NotFound):
        client.revoke_database("ghost", "sales")
    with pytest.raises(NotFound):
        client.update_user("ghost", UserUpdate(password=PASSWORD))
    with pytest.raises(BadRequest, match="do not exist"):
        client.grant_databases("app2", ["nowhere"])
    with pytest.raises(BadRequest, match="do not exist"):
        client.create_user(UserSpec(name="late", password=PASSWORD, databases=["nowhere"]))
    with pytest.raises(NotFound):
        client.get_user("late")


def test_delete_user_retires_its_login(agent: Agent, client: AgentClient) -> None:
    client.delete_user("app2")
    assert agent.refusal("app2", NEW_PASSWORD) in REFUSED
    assert client.list_users() == []


def test_passwords_never_logged_or_echoed(agent: Agent, client: AgentClient) -> None:
    general = Path(next(view.path for view in client.list_logs() if view.name == "general"))
    assert "INSERT INTO orders" in general.read_text(errors="replace")  # on all along
    files = [path for path in agent.log_dir.rglob("*") if path.is_file()]
    files.append(agent.root / "agent.stdout")
    for path in files:
        text = path.read_text(errors="replace")
        for secret in (PASSWORD, NEW_PASSWORD, ROOT_PASSWORD):
            assert secret not in text, path
    answers = [
        client.list_users(),
        client.list_databases(),
        client.read_log("general", length=1 << 20),
    ]
    for answer in answers:
        for secret in (PASSWORD, NEW_PASSWORD, ROOT_PASSWORD):
            assert secret not in repr(answer)


def test_a_change_while_an_operation_runs_is_refused(agent: Agent, client: AgentClient) -> None:
    operation_id = client.restart()
    with pytest.raises(InfrastructureError) as caught:
        client.create_database(DatabaseSpec(name="during"))
    client.wait_operation(operation_id, timeout=60)
    assert "still running" in caught.value.message and caught.value.retryable
    client.create_database(DatabaseSpec(name="during"))
