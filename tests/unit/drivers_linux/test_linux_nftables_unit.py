"""The firewall renderer is pure: same rules, same text; drop by default; v4 and v6 sources."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from strongroom.drivers.linux.nftables import AllowRule, render_ruleset, table_of

pytestmark = pytest.mark.unit


def _rule(source: str, port: int = 3306) -> AllowRule:
    return AllowRule(source=ip_network(source), port=port)


def _inbound(text: str) -> list[str]:
    body = text.split("chain inbound {\n")[1].split("\n\t}\n")[0]
    return [line.strip() for line in body.splitlines()]


def test_inbound_drops_by_default_and_lists_the_allow_rules_last() -> None:
    text = render_ruleset("strongroom", [_rule("10.0.0.0/8"), _rule("2001:db8::/32")])
    inbound = _inbound(text)
    assert inbound[0] == "type filter hook input priority filter; policy drop;"
    assert inbound[1] == "ct state established,related accept"
    assert '\tiif "lo" accept' in text
    assert inbound[-2:] == [
        "ip saddr 10.0.0.0/8 tcp dport 3306 accept",
        "ip6 saddr 2001:db8::/32 tcp dport 3306 accept",
    ]
    outbound = text.split("chain outbound {")[1]
    assert "type filter hook output priority filter; policy accept;" in outbound


def test_the_script_replaces_only_its_own_table_atomically() -> None:
    text = render_ruleset("strongroom", [])
    assert text.splitlines()[:3] == [
        "table inet strongroom",
        "delete table inet strongroom",
        "table inet strongroom {",
    ]
    assert text.count("table inet") == 3
    assert table_of(text) == "strongroom"


def test_icmp_echo_is_optional_but_neighbour_discovery_stays() -> None:
    with_echo = render_ruleset("t", [])
    without = render_ruleset("t", [], allow_icmp_echo=False)
    assert "icmp type echo-request accept" in with_echo
    assert "echo-request" not in without
    assert "nd-neighbor-solicit" in without


def test_rendering_is_deterministic_sorted_and_deduplicated() -> None:
    rules = [_rule("192.0.2.0/24", 5432), _rule("10.0.0.0/8"), _rule("192.0.2.0/24", 5432)]
    text = render_ruleset("t", rules)
    assert text == render_ruleset("t", list(reversed(rules)))
    assert _inbound(text)[-2:] == [
        "ip saddr 10.0.0.0/8 tcp dport 3306 accept",
        "ip saddr 192.0.2.0/24 tcp dport 5432 accept",
    ]
    assert text.endswith("}\n")


def test_no_rules_means_nothing_but_the_basics_is_accepted() -> None:
    assert "saddr" not in render_ruleset("t", [])


@pytest.mark.parametrize("name", ["", "1abc", "a-b", "a b", "x" * 33, "t;flush ruleset"])
def test_bad_table_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        render_ruleset(name, [])


@pytest.mark.parametrize("port", [0, 65536, -1])
def test_ports_out_of_range_are_refused(port: int) -> None:
    with pytest.raises(ValueError):
        _rule("10.0.0.0/8", port)


def test_rule_fields_are_typed() -> None:
    with pytest.raises(TypeError):
        AllowRule(source="10.0.0.0/8", port=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        AllowRule(source=ip_network("10.0.0.0/8"), port=True)
    with pytest.raises(ValueError):
        AllowRule(source=ip_network("10.0.0.0/8"), port=1, protocol="udp")  # type: ignore[arg-type]


def test_a_script_must_define_exactly_one_table() -> None:
    with pytest.raises(ValueError):
        table_of("flush ruleset\n")
    two = render_ruleset("a", []) + render_ruleset("b", [])
    with pytest.raises(ValueError):
        table_of(two)
