"""Fixtures for the host primitives: a per-run prefix, sandboxes on a bridge, leak checks.

Every object a test makes is named with the run's prefix (`srt` + 6 random hex digits), so a
killed earlier run never collides with this one; leftovers of dead earlier runs are swept at
session start. After each test the leak check asserts that nothing of the run remains.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from ipaddress import IPv4Interface, IPv4Network

import pytest
from linux_leaks import inventory, run_dir, sweep, sweep_stale_runs
from linux_sandbox import Run, Sandbox, SandboxFactory, free_subnet

from strongroom.drivers.linux import links, processes


@pytest.fixture(scope="session")
def run() -> Iterator[Run]:
    if os.geteuid() != 0:
        pytest.skip("host primitives need root")
    sweep_stale_runs()
    prefix = "srt" + secrets.token_hex(3)
    directory = run_dir(prefix)
    directory.mkdir(mode=0o700)
    (directory / "owner.pid").write_text(f"{os.getpid()}\n")
    yield Run(prefix=prefix, dir=directory)
    sweep(prefix)
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(autouse=True)
def leak_check(run: Run) -> Iterator[None]:
    """After the test and its own fixtures' cleanup, nothing of the run may remain."""
    yield
    left = inventory(run.prefix)
    if not left.empty():
        sweep(run.prefix)
        pytest.fail(f"leaked host objects: {left}")


@pytest.fixture
def subnet() -> IPv4Network:
    return free_subnet()


@pytest.fixture
def bridge(run: Run, subnet: IPv4Network) -> Iterator[tuple[str, IPv4Interface]]:
    """A bridge named after the run, with the host at .1 of the test's subnet."""
    name = f"{run.prefix}b0"
    address = IPv4Interface(f"{subnet[1]}/{subnet.prefixlen}")
    links.ensure_bridge(name, address)
    yield name, address
    links.delete_bridge(name)


@pytest.fixture
def sandbox(run: Run, bridge: tuple[str, IPv4Interface]) -> Iterator[SandboxFactory]:
    """Make namespaces on the bridge: `sandbox("a", 10)` gives netns <prefix>-a at .10."""
    made: list[Sandbox] = []
    bridge_name, host = bridge

    def make(label: str, host_part: int) -> Sandbox:
        netns = f"{run.prefix}-{label}"
        veth = links.short_name(run.prefix, label)
        address = host.network[host_part]
        links.ensure_netns(netns)
        spec = links.VethSpec(
            host_name=veth,
            netns=netns,
            peer_name="eth0",
            bridge=bridge_name,
            address=IPv4Interface(f"{address}/{host.network.prefixlen}"),
        )
        links.ensure_veth(spec)
        box = Sandbox(netns=netns, veth=veth, address=address)
        made.append(box)
        return box

    yield make
    for box in made:
        for pid in processes.netns_pids(box.netns):
            processes.terminate(pid, timeout=2.0)
        links.delete_veth(box.veth)
        links.delete_netns(box.netns)
