"""Certificate rotation (queued by the worker's rotation duty): new agent certificate, agent
restarted alone. A failure leaves the instance as it is (its old certificate may still be
valid) and is visible in the job's record and in the job-failure metric."""

from __future__ import annotations

from strongroom.jobs.admin_kinds import ROTATE_AGENT_CERTIFICATE
from strongroom.steps.certificate_rotation import InstallFreshCertificate, RestartAgent
from strongroom.workflows.base import Workflow

rotate_agent_certificate = Workflow(
    name=ROTATE_AGENT_CERTIFICATE,
    steps=(InstallFreshCertificate(), RestartAgent()),
    on_failure=lambda ctx: None,
    rollback=False,
)

ROTATION_WORKFLOWS: dict[str, Workflow] = {rotate_agent_certificate.name: rotate_agent_certificate}
