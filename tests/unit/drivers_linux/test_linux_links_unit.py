"""Interface and namespace names: short, deterministic, validated before any command runs."""

from __future__ import annotations

from ipaddress import IPv4Interface

import pytest

from strongroom.drivers.linux.links import VethSpec, short_name, validate_ifname, validate_netns

pytestmark = pytest.mark.unit


def test_short_names_are_deterministic_and_fit_the_kernel_limit() -> None:
    name = short_name("sr", "instance-7f3c1d2e-9b0a-4c55-8e21-3f4d5a6b7c8d")
    assert name == short_name("sr", "instance-7f3c1d2e-9b0a-4c55-8e21-3f4d5a6b7c8d")
    assert len(name) == 15 and name.startswith("sr")
    assert short_name("sr", "a") != short_name("sr", "b")
    assert len(short_name("srt0a1b2c", "x")) == 15


def test_a_prefix_that_leaves_too_few_hash_digits_is_refused() -> None:
    with pytest.raises(ValueError):
        short_name("toolongprefix", "x")


@pytest.mark.parametrize("name", ["", "a" * 16, "a/b", "a b", "a:b", "-x", "eth0\n"])
def test_bad_interface_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        validate_ifname(name)


def test_good_names_pass() -> None:
    assert validate_ifname("eth0") == "eth0"
    assert validate_ifname("a" * 15) == "a" * 15
    assert validate_netns("srt0a1b2c-db.1") == "srt0a1b2c-db.1"
    with pytest.raises(ValueError):
        validate_netns("../etc")


def test_a_veth_spec_validates_its_names() -> None:
    address = IPv4Interface("198.19.0.2/24")
    with pytest.raises(ValueError):
        VethSpec("x" * 16, "ns", "eth0", "br0", address)
    assert VethSpec("v0", "ns", "eth0", "br0", address).peer_name == "eth0"
