"""Mutual TLS: the agent serves only the control plane's certificate, and the control
plane's client talks only to the instance it expects."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest
from agent_e2e_harness import Agent, Pki, free_port, launch_agent

from strongroom.contracts import agent as contract
from strongroom.contracts.errors import InfrastructureError
from strongroom.drivers.guest.http import client_ssl_context
from strongroom.pki import CertificateAuthority

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def agent_b(agents: dict[str, Agent], e2e_root: Path, pki: Pki) -> Agent:
    return launch_agent(agents, e2e_root, pki, "inst-b")


def raw_get(agent: Agent, context: ssl.SSLContext) -> httpx.Response:
    with httpx.Client(verify=context, timeout=5, trust_env=False) as client:
        return client.get(
            f"https://127.0.0.1:{agent.port}{contract.PATH_STATUS}",
            extensions={"sni_hostname": agent.instance_id},
        )


def verifying_context(pki: Pki) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=str(pki.ca_cert))
    return context


def test_control_plane_certificate_is_served(agent_b: Agent, pki: Pki) -> None:
    context = client_ssl_context(pki.ca_cert, pki.client.cert, pki.client.key)
    response = raw_get(agent_b, context)
    assert response.status_code == 200
    assert response.json()["instance_id"] == "inst-b"


def test_client_without_certificate_is_refused(agent_b: Agent, pki: Pki) -> None:
    with pytest.raises(httpx.TransportError):
        raw_get(agent_b, verifying_context(pki))


def test_client_certificate_from_another_ca_is_refused(
    agent_b: Agent, pki: Pki, e2e_root: Path
) -> None:
    rogue = CertificateAuthority.load_or_create(e2e_root / "rogue-ca")
    paths = rogue.issue_client_certificate().write(e2e_root / "rogue-client", "client")
    context = verifying_context(pki)
    context.load_cert_chain(str(paths.cert), str(paths.key))
    with pytest.raises(httpx.TransportError):
        raw_get(agent_b, context)


def test_another_agents_server_certificate_cannot_act_as_client(agent_b: Agent, pki: Pki) -> None:
    other = pki.server_cert("inst-other")
    context = verifying_context(pki)
    context.load_cert_chain(str(other.cert), str(other.key))
    with pytest.raises(httpx.TransportError):
        raw_get(agent_b, context)


def test_client_expecting_instance_a_refuses_agent_b(agent_b: Agent, pki: Pki) -> None:
    with (
        pki.client_for("inst-a", agent_b.port) as client,
        pytest.raises(InfrastructureError) as caught,
    ):
        client.status()
    assert not caught.value.retryable
    assert "certificate" in caught.value.message


def test_unreachable_agent_is_a_retryable_error(pki: Pki) -> None:

    with (
        pki.client_for("inst-b", free_port(), timeout=2) as client,
        pytest.raises(InfrastructureError) as caught,
    ):
        client.status()
    assert caught.value.retryable


def test_invalid_prepare_is_refused_without_echoing_the_password(agent_b: Agent, pki: Pki) -> None:
    secret = "EchoMeNot-4242"
    context = client_ssl_context(pki.ca_cert, pki.client.cert, pki.client.key)
    bodies = [
        {"users": [{"name": "root", "password": secret}]},
        {"users": [{"name": "bob", "password": secret, "extra": secret}]},
        {"users": [{"name": "bob", "password": secret, "databases": "not-a-list"}]},
    ]
    with httpx.Client(verify=context, timeout=5, trust_env=False) as client:
        for body in bodies:
            response = client.post(
                f"https://127.0.0.1:{agent_b.port}{contract.PATH_PREPARE}",
                json=body,
                extensions={"sni_hostname": agent_b.instance_id},
            )
            assert response.status_code == 400, response.text
            assert secret not in response.text
            assert response.json()["error"]["code"] == "bad_request"
    log_text = (agent_b.log_dir / "agent.log").read_text()
    assert secret not in log_text


def test_unknown_operation_is_not_found(agent_b: Agent) -> None:
    with agent_b.client() as client, pytest.raises(InfrastructureError) as caught:
        client.operation("no-such-operation")
    assert "unknown" in caught.value.message
    assert caught.value.retryable  # the agent restarted: re-submit the operation


def test_start_before_prepare_fails_with_conflict(agent_b: Agent) -> None:
    client = agent_b.client()
    with pytest.raises(InfrastructureError) as caught:
        client.wait_operation(client.start(), timeout=10)
    assert "not been prepared" in caught.value.message
