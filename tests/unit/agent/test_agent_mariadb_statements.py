"""SQL the MariaDB engine builds for day-2 requests: grants escape wildcards, parameter names
are checked before they become identifiers, values are bound or rendered safely."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom.contracts.agent import ParameterValue
from strongroom.contracts.errors import BadRequest, NotFound
from strongroom_agent.engines.logfile import read_range
from strongroom_agent.engines.mariadb import grants, logs, variables
from strongroom_agent.engines.mariadb.config import (
    Layout,
    from_argv,
    render_options,
    same_options,
    size_for,
    to_argv,
)

pytestmark = pytest.mark.unit

LAYOUT = Layout(
    datadir=Path("/vol/mysql"),
    tmpdir=Path("/vol/tmp"),
    socket=Path("/run/i/mariadb/mariadbd.sock"),
    pidfile=Path("/run/i/mariadb/mariadbd.pid"),
    error_log=Path("/log/i/mariadb/mariadbd.err"),
)


@pytest.mark.parametrize(
    ("database", "pattern"),
    [("shop", "shop"), ("a_b", "a\\_b"), ("x%y", "x\\%y"), ("b\\s", "b\\\\s"), ("__", "\\_\\_")],
)
def test_grant_patterns_escape_wildcards_and_round_trip(database: str, pattern: str) -> None:
    assert grants.grant_pattern(database) == pattern
    assert grants.database_of(pattern) == database


def test_unescaped_legacy_grants_name_their_database() -> None:
    assert grants.database_of("a_b") == "a_b"


def test_grant_and_revoke_statements_quote_the_pattern_and_bind_the_account() -> None:
    assert grants.grant_statement("my_db") == "GRANT ALL PRIVILEGES ON `my\\_db`.* TO %s@%s"
    assert grants.revoke_statement("a`b") == "REVOKE ALL PRIVILEGES ON `a``b`.* FROM %s@%s"


@pytest.mark.parametrize("name", ["max_connections", "_x", "long_query_time", "a1"])
def test_plain_parameter_names_pass(name: str) -> None:
    variables.check_name(name)


@pytest.mark.parametrize(
    "name",
    ["", "Max", "1abc", "a-b", "a b", "a;b", "a`b", "x" * 65, "max_connections\n", "é"],
)
def test_malformed_parameter_names_fail(name: str) -> None:
    with pytest.raises(BadRequest, match="must match"):
        variables.check_name(name)


@pytest.mark.parametrize("name", ["datadir", "socket", "bind_address", "general_log_file"])
def test_managed_parameters_fail(name: str) -> None:
    with pytest.raises(BadRequest, match="managed"):
        variables.check_name(name)


@pytest.mark.parametrize("value", [float("inf"), float("nan"), "a\nb", "a\x00b", "x" * 1025])
def test_unsafe_values_fail(value: float | str) -> None:
    with pytest.raises(BadRequest):
        variables.check_value("sql_mode", value)


def test_values_render_as_options_in_name_order() -> None:
    rendered = variables.render(
        {"sql_mode": "ANSI,STRICT_ALL_TABLES", "max_connections": 77, "a_flag": True, "t": 0.5}
    )
    assert list(rendered) == ["a-flag", "max-connections", "sql-mode", "t"]
    assert rendered == {
        "a-flag": "ON",
        "max-connections": "77",
        "sql-mode": "ANSI,STRICT_ALL_TABLES",
        "t": "0.5",
    }


def test_set_global_binds_the_value() -> None:
    assert variables.set_global("max_connections", 77) == ("SET GLOBAL max_connections = %s", (77,))
    assert variables.set_global("a_flag", False) == ("SET GLOBAL a_flag = %s", (0,))
    assert variables.set_global("sql_mode", "x'; DROP") == (
        "SET GLOBAL sql_mode = %s",
        ("x'; DROP",),
    )
    with pytest.raises(BadRequest):
        variables.set_global("x = 1; DROP DATABASE shop; SET @a", 1)


def test_overrides_replace_sizing_options_in_place() -> None:
    options = render_options(LAYOUT, size_for(256), "127.0.0.1", 3306, "mysql")
    options.update(variables.render({"max_connections": 500}))
    argv = to_argv("/usr/sbin/mariadbd", options)
    assert [arg for arg in argv if arg.startswith("--max-connections")] == ["--max-connections=500"]
    assert from_argv(argv) == options


def test_log_options_name_files_and_switches() -> None:
    assert logs.options(LAYOUT, []) == {
        "log-output": "FILE",
        "slow-query-log-file": "/log/i/mariadb/mariadbd-slow.log",
        "general-log-file": "/log/i/mariadb/mariadbd-general.log",
    }
    assert logs.options(LAYOUT, ["general"])["general-log"] == "ON"
    with pytest.raises(BadRequest):
        logs.check_optional("error")
    with pytest.raises(NotFound):
        logs.check_optional("audit")


def test_log_ranges_and_tails(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    assert read_range(path, None, 10) == (0, b"", 0)
    path.write_bytes(b"0123456789")
    assert read_range(path, None, 4) == (6, b"6789", 10)
    assert read_range(path, 2, 3) == (2, b"234", 10)
    assert read_range(path, 8, 100) == (8, b"89", 10)
    assert read_range(path, 50, 5) == (10, b"", 10)
    assert read_range(path, None, 100) == (0, b"0123456789", 10)


def test_options_changed_live_do_not_count_as_a_difference() -> None:
    base = render_options(LAYOUT, size_for(256), "127.0.0.1", 3306, "mysql")
    running = to_argv("/usr/sbin/mariadbd", base)
    wanted = to_argv("/usr/sbin/mariadbd", {**base, "max-connections": "60"})
    assert not same_options(running, wanted, set())
    assert same_options(running, wanted, {"max-connections"})
    assert not same_options(running, to_argv("/other/mariadbd", base), set())
    moved = to_argv("/usr/sbin/mariadbd", {**base, "port": "3307"})
    assert not same_options(running, moved, {"max-connections"})


@pytest.mark.parametrize(
    ("current", "value"),
    [("151", 200), ("151", "200"), ("10.000000", 0.5), ("ON", False), ("OFF", 1), ("OFF", "on")],
)
def test_values_of_the_variables_kind_pass(current: str, value: ParameterValue) -> None:
    variables.check_kind("x", current, value)


@pytest.mark.parametrize(
    ("current", "value"),
    [("151", "many"), ("151", True), ("16777216", "16M"), ("ON", 2), ("OFF", "maybe")],
)
def test_values_of_another_kind_fail(current: str, value: ParameterValue) -> None:
    with pytest.raises(BadRequest):
        variables.check_kind("x", current, value)
