"""Which database, user and host names the MariaDB engine accepts."""

from __future__ import annotations

import pytest

from strongroom.contracts.agent import DatabaseSpec, PrepareRequest, UserSpec
from strongroom.contracts.errors import BadRequest
from strongroom_agent.engines.mariadb.names import (
    check_database_name,
    check_host,
    check_request,
    check_user_name,
    quote_identifier,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("name", ["shop", "Shop_2", "a", "x" * 64, "my-db", "a$b"])
def test_plain_database_names_pass(name: str) -> None:
    check_database_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "x" * 65,
        "a b",
        "a`b",
        "a;b",
        "a.b",
        "mysql",
        "MySQL",
        "sys",
        "information_schema",
        "performance_schema",
        "-lead",
        "é",
        "a/b",
    ],
)
def test_bad_or_reserved_database_names_fail(name: str) -> None:
    with pytest.raises(BadRequest):
        check_database_name(name)


@pytest.mark.parametrize("name", ["alice", "app.reader", "u-1", "x" * 80])
def test_plain_user_names_pass(name: str) -> None:
    check_user_name(name)


@pytest.mark.parametrize("name", ["", "root", "ROOT", "mariadb.sys", "x" * 81, "a'b", "a@b"])
def test_bad_or_reserved_user_names_fail(name: str) -> None:
    with pytest.raises(BadRequest):
        check_user_name(name)


@pytest.mark.parametrize("host", ["%", "10.0.0.%", "198.18.0.0/255.254.0.0", "::1", "db.local"])
def test_host_patterns_pass(host: str) -> None:
    check_host(host)


@pytest.mark.parametrize("host", ["a'b", "a b", "", "x" * 256])
def test_bad_hosts_fail(host: str) -> None:
    with pytest.raises(BadRequest):
        check_host(host)


def test_request_checks_grants_charsets_and_duplicates() -> None:
    ok = UserSpec(name="bob", password="pw", databases=["shop"])
    check_request(PrepareRequest(databases=[DatabaseSpec(name="shop")], users=[ok]))
    bad = [
        PrepareRequest(users=[UserSpec(name="bob", password="pw", databases=["mysql"])]),
        PrepareRequest(databases=[DatabaseSpec(name="shop", character_set="utf8; DROP")]),
        PrepareRequest(databases=[DatabaseSpec(name="shop", collate="x y")]),
        PrepareRequest(users=[ok, ok]),
    ]
    for request in bad:
        with pytest.raises(BadRequest):
            check_request(request)


def test_quote_identifier_doubles_backticks() -> None:
    assert quote_identifier("shop") == "`shop`"
    assert quote_identifier("a`b") == "`a``b`"
