"""The MariaDB description's rules: parameter values, user names, hosts and passwords."""

from __future__ import annotations

from typing import Any

import pytest

from strongroom.datastores import load_catalog
from strongroom.datastores.catalog import DatastoreDescription, ParameterRule

pytestmark = pytest.mark.unit


@pytest.fixture
def mariadb() -> DatastoreDescription:
    return next(d for d in load_catalog() if d.name == "mariadb")


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        (ParameterRule(name="n", type="int", min=1, max=10), 10, 10),
        (ParameterRule(name="n", type="int"), 3.0, 3),
        (ParameterRule(name="f", type="float", min=0), 2, 2.0),
        (ParameterRule(name="b", type="boolean"), 1, True),
        (ParameterRule(name="b", type="boolean"), False, False),
        (ParameterRule(name="s", type="string"), "STRICT_TRANS_TABLES", "STRICT_TRANS_TABLES"),
    ],
)
def test_values_take_their_parameters_type(rule: ParameterRule, value: Any, expected: Any) -> None:
    coerced = rule.coerce(value)
    assert coerced == expected and type(coerced) is type(expected)


@pytest.mark.parametrize(
    ("rule", "value", "says"),
    [
        (ParameterRule(name="n", type="int", min=1, max=10), 11, "at most 10"),
        (ParameterRule(name="n", type="int", min=1), 0, "at least 1"),
        (ParameterRule(name="n", type="int"), 1.5, "integer"),
        (ParameterRule(name="n", type="int"), True, "integer"),
        (ParameterRule(name="n", type="int"), "5", "integer"),
        (ParameterRule(name="f", type="float"), float("inf"), "finite"),
        (ParameterRule(name="b", type="boolean"), "yes", "true or false"),
        (ParameterRule(name="s", type="string"), "a\nb", "control"),
        (ParameterRule(name="s", type="string"), 5, "string"),
    ],
)
def test_bad_values_say_what_is_wrong(rule: ParameterRule, value: Any, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        rule.coerce(value)


def test_check_values_names_the_parameter(mariadb: DatastoreDescription) -> None:
    assert mariadb.check_values({"max_connections": 500}) == {"max_connections": 500}
    with pytest.raises(ValueError, match="'max_connections' must be at least 10"):
        mariadb.check_values({"max_connections": 1})
    with pytest.raises(ValueError, match="'datadir' is not a configuration parameter"):
        mariadb.check_values({"datadir": "/"})


def test_every_parameter_and_log_is_described(mariadb: DatastoreDescription) -> None:
    names = [p.name for p in mariadb.parameters]
    assert len(names) == len(set(names)) and "max_connections" in names
    assert {log.name: log.type for log in mariadb.logs} == {
        "error": "SYS",
        "general": "USER",
        "slow_query": "USER",
    }


@pytest.mark.parametrize(
    ("user", "password", "problem"),
    [
        ("app", "long-enough-1", None),
        ("app", "short", "at least 8"),
        ("application", "Application", "user's name"),
        ("app", "x" * 257, "at most 256"),
        ("app", "with\x00nul-pw", "NUL"),
    ],
)
def test_passwords(
    mariadb: DatastoreDescription, user: str, password: str, problem: str | None
) -> None:
    found = mariadb.names.password_problem(user, password)
    assert (found is None) if problem is None else (found is not None and problem in found)


@pytest.mark.parametrize(
    ("host", "ok"),
    [("%", True), ("10.0.0.%", True), ("db.example.com", True), ("::1", True), ("a b", False),
     ("x'y", False), ("", False)],
)  # fmt: skip
def test_hosts(mariadb: DatastoreDescription, host: str, ok: bool) -> None:
    assert (mariadb.names.host_problem(host) is None) is ok


def test_reserved_users(mariadb: DatastoreDescription) -> None:
    assert mariadb.names.user_problem("root") == "the name is reserved"
    assert mariadb.names.user_problem("Strongroom") == "the name is reserved"
    assert mariadb.names.user_problem("alice") is None
