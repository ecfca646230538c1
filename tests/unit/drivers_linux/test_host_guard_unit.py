"""The host guard's ruleset text."""

from __future__ import annotations

import pytest

from strongroom.drivers.linux.nftables import render_host_guard

pytestmark = pytest.mark.unit


def test_guard_matches_only_the_given_bridges_and_keeps_replies() -> None:
    text = render_host_guard("sr_host", ["sr-public", "sr-management", "sr-public"])
    assert "hook input" in text
    assert 'iifname { "sr-management", "sr-public" } ct state established,related accept' in text
    assert 'iifname { "sr-management", "sr-public" } drop' in text
    assert text.index("accept\n") < text.index("drop\n")
    assert "eth0" not in text and "oifname" not in text


@pytest.mark.parametrize(("table", "bridges"), [("bad name", ["x"]), ("sr_host", [])])
def test_guard_refuses_bad_input(table: str, bridges: list[str]) -> None:
    with pytest.raises(ValueError):
        render_host_guard(table, bridges)
