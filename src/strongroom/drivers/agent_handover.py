"""Handing an agent new certificates without touching its engine: read the certificate it
serves now, and restart the agent process alone (engines outlive their agent by design)."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

from strongroom.config import Settings
from strongroom.contracts.agent import DEFAULT_AGENT_PORT
from strongroom.contracts.errors import InfrastructureError
from strongroom.drivers.specs import GuestTarget
from strongroom.pki import CertificatePaths

HANDSHAKE_TIMEOUT = 5.0
AGENT_STOP_TIMEOUT = 15.0


def served_certificate(
    settings: Settings, target: GuestTarget, client: CertificatePaths
) -> bytes | None:
    """The PEM certificate the agent presents now (a TLS handshake as the control plane);
    None when the backend has no agent to ask (fake) or the agent does not answer."""
    if settings.drivers.backend != "local":
        return None
    # Verified like every call: signed by our CA, DNS SAN = the instance id.
    context = ssl.create_default_context(cafile=str(settings.pki_dir() / "ca.crt"))
    context.load_cert_chain(str(client.cert), str(client.key))
    try:
        with (
            socket.create_connection(
                (target.address, DEFAULT_AGENT_PORT), timeout=HANDSHAKE_TIMEOUT
            ) as raw,
            context.wrap_socket(raw, server_hostname=target.instance_id) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError):
        return None
    return ssl.DER_cert_to_PEM_cert(der).encode() if der else None


def restart_agent(settings: Settings, instance_id: str) -> None:
    """Stop the instance's agent process (only it: the engine keeps serving) and start it
    again, so that it loads the certificates installed meanwhile."""
    if settings.drivers.backend == "fake":
        return  # the fake agent reads nothing from files
    if settings.drivers.backend != "local":
        raise InfrastructureError(f"cannot restart agents on {settings.drivers.backend!r}")
    from strongroom.drivers.compute.local import AGENT_CONFIG, LocalCompute
    from strongroom.drivers.linux import processes
    from strongroom.drivers.local_layout import HostLayout

    layout = HostLayout.from_settings(settings)
    box: Path = layout.sandbox_dir(instance_id)
    processes.stop(box / "agent.pid", str(box / AGENT_CONFIG), timeout=AGENT_STOP_TIMEOUT)
    LocalCompute(layout).start_agent(instance_id)
