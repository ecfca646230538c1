"""The certificate rotation duty: renew the control plane's client certificate, and queue a
rotation job for every agent whose served certificate expires within the threshold.

Each agent's served certificate is read with a TLS handshake and recorded (public part only),
so /metrics shows every agent's expiry, rotated or not."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from strongroom.config import Settings
from strongroom.domain.instance_status import MUTABLE
from strongroom.drivers.agent_handover import served_certificate
from strongroom.drivers.specs import GuestTarget
from strongroom.jobs.admin_kinds import ROTATE_AGENT_CERTIFICATE
from strongroom.jobs.queue import UNFINISHED, JobQueue
from strongroom.pki import CertificateAuthority, CertificatePaths, agent_records
from strongroom.store.database import Database
from strongroom.store.models import Instance, Job, Port

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Agent:
    instance_id: str
    address: str


class CertificateRotation:
    def __init__(self, settings: Settings, db: Database, queue: JobQueue) -> None:
        self.settings = settings
        self.db = db
        self.queue = queue

    def run(self) -> None:
        self.rotate()

    def rotate(self) -> list[str]:
        """One pass; returns the instances a rotation was queued for."""
        policy = self.settings.certificates
        ca = CertificateAuthority.load_or_create(self.settings.pki_dir())
        client = ca.ensure_client_certificate(
            self.settings.pki_dir(), renew_before_days=math.ceil(policy.renew_before_days)
        )
        threshold = datetime.now(UTC) + timedelta(days=policy.renew_before_days)
        queued = []
        for agent in self._agents():
            if self._expires_before(agent, client, threshold) and self._queue(agent):
                queued.append(agent.instance_id)
        return queued

    def _expires_before(self, agent: _Agent, client: CertificatePaths, threshold: datetime) -> bool:
        pem = served_certificate(
            self.settings, GuestTarget(agent.instance_id, agent.address), client
        )
        if pem is None:
            return False  # no answer: the health manager reports it; try again next pass
        expiry = agent_records.record(self.settings.pki_dir(), agent.instance_id, pem)
        return expiry < threshold

    def _agents(self) -> list[_Agent]:
        """Idle live instances with an agent; records of the others are dropped."""
        with self.db.read() as s:
            busy = select(Job.resource_id).where(Job.state.in_(UNFINISHED))
            live = set(s.scalars(select(Instance.id).where(Instance.deleted_at.is_(None))))
            rows = s.execute(
                select(Instance.id, Port.address)
                .join(Port, (Port.instance_id == Instance.id) & (Port.role == "management"))
                .where(
                    Instance.deleted_at.is_(None),
                    Instance.status.in_(MUTABLE),
                    Instance.id.not_in(busy),
                )
            ).all()
        for instance_id in agent_records.expiries(self.settings.pki_dir()):
            if instance_id not in live:
                agent_records.forget(self.settings.pki_dir(), instance_id)
        return [_Agent(r[0], r[1]) for r in rows]

    def _queue(self, agent: _Agent) -> bool:
        with self.db.write() as s:
            busy = s.scalar(
                select(Job.id).where(
                    Job.resource_id == agent.instance_id, Job.state.in_(UNFINISHED)
                )
            )
            if busy is not None:
                return False
            payload = {"valid_days": self.settings.certificates.agent_valid_days}
            self.queue.enqueue(s, ROTATE_AGENT_CERTIFICATE, agent.instance_id, payload=payload)
        log.info("instance %s: agent certificate rotation queued", agent.instance_id)
        return True
