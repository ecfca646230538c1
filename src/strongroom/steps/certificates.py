"""The agent's certificates: issued by the control plane's CA, handed over as sandbox files."""

from __future__ import annotations

from strongroom.pki import CertificateAuthority
from strongroom.steps.base import Step, StepContext
from strongroom.steps.facts import load_facts

SERVER_CERT_FILE = "agent.crt"
SERVER_KEY_FILE = "agent.key"
CLIENT_CA_FILE = "client-ca.crt"


class InstallCertificates(Step):
    """A server certificate for the agent (CN = instance id, IP SAN = its management address)
    and the CA that signs the control plane's client certificate. Re-running issues a fresh
    pair from the same CA, which is as good as the first."""

    name = "install_certificates"

    def do(self, ctx: StepContext) -> None:
        facts = load_facts(ctx)
        ca = CertificateAuthority.load_or_create(ctx.settings.pki_dir())
        issued = ca.issue_server_certificate(facts.instance_id, facts.address("management"))
        files = {
            SERVER_CERT_FILE: issued.cert_pem,
            SERVER_KEY_FILE: issued.key_pem,
            CLIENT_CA_FILE: ca.cert_pem,
        }
        ctx.drivers.compute.install_files(ctx.resource_id, files)
