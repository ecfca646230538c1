"""Rotating an agent's server certificate: issue, hand over as sandbox files, restart the
agent alone (the engine keeps serving), and wait until it answers with the new one."""

from __future__ import annotations

import time

from strongroom.contracts.errors import InfrastructureError
from strongroom.drivers.agent_handover import restart_agent
from strongroom.pki import CertificateAuthority, agent_records
from strongroom.steps.base import RetryPolicy, Step, StepContext
from strongroom.steps.certificates import CLIENT_CA_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE
from strongroom.steps.facts import load_facts

AGENT_BACK_TIMEOUT = 30.0


class InstallFreshCertificate(Step):
    """A new server certificate (validity from the job's payload) in place of the old one.
    Re-running issues another, which is as good; the private key never leaves the files."""

    name = "install_fresh_certificate"

    def do(self, ctx: StepContext) -> None:
        facts = load_facts(ctx)
        ca = CertificateAuthority.load_or_create(ctx.settings.pki_dir())
        valid_days = int(ctx.payload["valid_days"])
        issued = ca.issue_server_certificate(
            facts.instance_id, facts.address("management"), valid_days=valid_days
        )
        files = {
            SERVER_CERT_FILE: issued.cert_pem,
            SERVER_KEY_FILE: issued.key_pem,
            CLIENT_CA_FILE: ca.cert_pem,
        }
        ctx.drivers.compute.install_files(ctx.resource_id, files)
        agent_records.record(ctx.settings.pki_dir(), ctx.resource_id, issued.cert_pem)


class RestartAgent(Step):
    """The agent process restarts and loads the new files; mariadbd is not its child and
    keeps running. Done once the agent answers again."""

    name = "restart_agent"
    retry = RetryPolicy(attempts=3, backoff_seconds=2.0)

    def do(self, ctx: StepContext) -> None:
        target = load_facts(ctx).guest_target()
        restart_agent(ctx.settings, ctx.resource_id)
        deadline = time.monotonic() + AGENT_BACK_TIMEOUT
        while not ctx.drivers.guest.health(target).reachable:
            if time.monotonic() > deadline:
                raise InfrastructureError(
                    "the agent did not answer after its certificate was rotated", retryable=True
                )
            time.sleep(0.2)
