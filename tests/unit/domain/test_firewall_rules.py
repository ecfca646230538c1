"""Access intent -> firewall rules."""

from __future__ import annotations

import re

import pytest

from strongroom.domain.firewall import Access, FirewallRule, derive_rules

pytestmark = pytest.mark.unit


def rules(access: Access) -> set[FirewallRule]:
    return set(
        derive_rules(
            access,
            engine_port=3306,
            user_subnet="198.18.1.0/24",
            agent_port=2443,
            control_plane_address="198.18.0.1",
        )
    )


AGENT = FirewallRule("198.18.0.1/32", 2443)


def test_public_opens_the_engine_port_to_everyone_and_the_agent_to_the_control_plane() -> None:
    assert rules(Access(True, ())) == {
        FirewallRule("0.0.0.0/0", 3306),
        FirewallRule("::/0", 3306),
        AGENT,
    }


def test_private_with_cidrs_admits_exactly_those() -> None:
    got = rules(Access(False, ("10.1.2.3/8", "2001:db8::/32", "10.0.0.0/8")))
    assert got == {FirewallRule("10.0.0.0/8", 3306), FirewallRule("2001:db8::/32", 3306), AGENT}


def test_private_without_cidrs_admits_only_the_user_subnet() -> None:
    assert rules(Access(False, ())) == {FirewallRule("198.18.1.0/24", 3306), AGENT}


def test_a_bad_cidr_is_named() -> None:
    with pytest.raises(ValueError, match=re.escape("'10.0.0.0/33'")):
        rules(Access(False, ("10.0.0.0/33",)))
