"""The control plane keeps one connection per agent for its periodic reads, and a kept one
that broke (the agent restarted) costs no false alarm: the read is tried once anew."""

from __future__ import annotations

from pathlib import Path

import pytest
from agent_e2e_harness import Agent, Pki, launch_agent

from strongroom.drivers.guest.local import LocalGuest
from strongroom.drivers.specs import GuestTarget

pytestmark = pytest.mark.e2e


def test_health_reuses_the_connection_and_survives_an_agent_restart(
    agents: dict[str, Agent], e2e_root: Path, pki: Pki
) -> None:
    agent = launch_agent(agents, e2e_root, pki, "inst-kept")
    guest = LocalGuest(pki.directory / "ca", port=agent.port)
    target = GuestTarget(agent.instance_id, "127.0.0.1")
    key = (target.instance_id, target.address)

    assert guest.health(target).reachable
    kept = guest._kept[key]
    assert guest.health(target).reachable and guest._kept[key] is kept, "a new connection"

    agent.kill()
    agent.start()  # a new process: the kept connection is dead
    health = guest.health(target)
    assert health.reachable, health.message  # at the first read after the restart

    agent.kill()
    health = guest.health(target)
    assert not health.reachable and key not in guest._kept
