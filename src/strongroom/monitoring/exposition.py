"""Prometheus exposition of the control plane, read from the control DB at scrape time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from strongroom.config import Settings
from strongroom.jobs.queue import FAILED, UNFINISHED
from strongroom.pki import agent_records, certificate_expiry
from strongroom.pki.authority import CA_CERT_FILE
from strongroom.store.database import Database, utcnow
from strongroom.store.models import Instance, Job

# The control plane's client certificate, as `CertificateAuthority.ensure_client_certificate`
# names it in the PKI directory.
CLIENT_CERT_FILE = "control-plane.crt"
# An instance in BUILD for longer than this is counted as stuck.
STUCK_AFTER = timedelta(minutes=10)
# Durations are summarised over jobs finished this recently.
RECENT = timedelta(hours=1)


class ControlPlaneCollector(Collector):
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db

    def collect(self) -> Iterator[Metric]:
        now = utcnow()
        with self.db.read() as s:
            jobs = GaugeMetricFamily(
                "strongroom_jobs", "Jobs by workflow and state.", labels=["workflow", "state"]
            )
            for workflow, state, count in s.execute(
                select(Job.workflow, Job.state, func.count()).group_by(Job.workflow, Job.state)
            ):
                jobs.add_metric([workflow, state], count)
            yield jobs

            failures = CounterMetricFamily(
                "strongroom_job_failures", "Jobs that failed for good.", labels=["workflow"]
            )
            for workflow, count in s.execute(
                select(Job.workflow, func.count()).where(Job.state == FAILED).group_by(Job.workflow)
            ):
                failures.add_metric([workflow], count)
            yield failures

            durations = SummaryMetricFamily(
                "strongroom_job_duration_seconds",
                "Wall time of jobs finished in the last hour, from request to end.",
                labels=["workflow"],
            )
            finished = s.execute(
                select(Job.workflow, Job.created_at, Job.finished_at).where(
                    Job.finished_at.is_not(None), Job.finished_at > now - RECENT
                )
            ).all()
            totals: dict[str, tuple[int, float]] = {}
            for workflow, created, ended in finished:
                if ended is None:
                    continue
                count, total = totals.get(workflow, (0, 0.0))
                totals[workflow] = (count + 1, total + (ended - created).total_seconds())
            for workflow, (count, total) in sorted(totals.items()):
                durations.add_metric([workflow], count_value=count, sum_value=total)
            yield durations

            running = GaugeMetricFamily(
                "strongroom_jobs_unfinished",
                "Jobs queued or running.",
                value=float(s.scalar(select(func.count()).where(Job.state.in_(UNFINISHED))) or 0),
            )
            yield running

            yield from self._instances(s, now)
        yield from self._certificates()

    def _instances(self, s: Session, now: datetime) -> Iterator[Metric]:
        rows = s.execute(
            select(
                Instance.id,
                Instance.project_id,
                Instance.datastore,
                Instance.status,
                Instance.operating_status,
                Instance.created_at,
                Instance.service_status_updated_at,
            ).where(Instance.deleted_at.is_(None))
        ).all()
        by_status = GaugeMetricFamily(
            "strongroom_instances",
            "Live instances by status.",
            labels=["status", "operating_status", "datastore"],
        )
        counts: dict[tuple[str, str, str], int] = {}
        for r in rows:
            key = (r.status, r.operating_status or "", r.datastore)
            counts[key] = counts.get(key, 0) + 1
        for key, count in sorted(counts.items()):
            by_status.add_metric(list(key), count)
        yield by_status

        stuck = sum(1 for r in rows if r.status == "BUILD" and now - r.created_at > STUCK_AFTER)
        yield GaugeMetricFamily(
            "strongroom_instances_stuck_in_build",
            "Instances in BUILD for more than 10 minutes (should always be 0).",
            value=stuck,
        )
        age = GaugeMetricFamily(
            "strongroom_instance_health_age_seconds",
            "Seconds since the health manager last heard from the instance's agent.",
            labels=["instance_id", "project_id", "datastore"],
        )
        for r in rows:
            if r.service_status_updated_at is not None:
                seconds = (now - r.service_status_updated_at).total_seconds()
                age.add_metric([r.id, r.project_id, r.datastore], seconds)
        yield age

    def _certificates(self) -> Iterator[Metric]:
        expiry = GaugeMetricFamily(
            "strongroom_certificate_expiry_timestamp_seconds",
            "When the control plane's certificates expire (Unix time).",
            labels=["certificate"],
        )
        ca = self.settings.pki_dir() / CA_CERT_FILE
        if ca.exists():
            expiry.add_metric(["ca"], certificate_expiry(ca.read_bytes()).timestamp())
        client = self.settings.pki_dir() / CLIENT_CERT_FILE
        if client.exists():
            expiry.add_metric(
                ["control-plane"], certificate_expiry(client.read_bytes()).timestamp()
            )
        yield expiry
        agents = GaugeMetricFamily(
            "strongroom_agent_certificate_expiry_timestamp_seconds",
            "When each agent's server certificate expires (Unix time), as last served.",
            labels=["instance_id"],
        )
        for instance_id, when in sorted(agent_records.expiries(self.settings.pki_dir()).items()):
            agents.add_metric([instance_id], when.timestamp())
        yield agents
