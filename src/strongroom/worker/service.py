"""The worker process: claim a job, run it, run due duties, repeat until told to stop."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from types import FrameType

from strongroom.config import Settings
from strongroom.drivers.registry import DriverSet, build_drivers
from strongroom.jobs.queue import JobQueue
from strongroom.keyring import Keyring, SecretBox
from strongroom.monitoring.collector import MetricsCollector
from strongroom.services import backup_schedules
from strongroom.store.database import Database
from strongroom.store.migrate import require_current
from strongroom.worker.certificate_rotation import CertificateRotation
from strongroom.worker.duties import Duty, DutySchedule
from strongroom.worker.health import HealthManager
from strongroom.worker.reconciler import Reconciler
from strongroom.worker.runner import JobRunner
from strongroom.worker.wal_shipper import WalShipper
from strongroom.workflows.certificate_rotation import ROTATION_WORKFLOWS
from strongroom.workflows.registry import WORKFLOWS
from strongroom.workflows.status_reset import ADMIN_WORKFLOWS

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, settings: Settings, drivers: DriverSet | None = None) -> None:
        self.settings = settings
        self.db = Database(settings.database_url(), pool_size=settings.database.pool_size)
        require_current(self.db)
        box = SecretBox(Keyring(settings.state_dir).fernet_key("job-secrets"))
        self.queue = JobQueue(self.db, box)
        self.drivers = drivers or build_drivers(settings)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self.runner = JobRunner(
            settings,
            self.db,
            self.queue,
            self.drivers,
            {**WORKFLOWS, **ADMIN_WORKFLOWS, **ROTATION_WORKFLOWS},
            self.owner,
            self._stop.is_set,
        )
        reconciler = Reconciler(self.db, self.drivers)
        health = HealthManager(self.db, self.drivers)
        every = settings.worker
        collector = MetricsCollector(self.db, self.drivers, settings.monitoring)
        monitoring = settings.monitoring
        self.duties = DutySchedule(
            [
                Duty("health manager", every.health_interval_seconds, health.run),
                Duty("reconciler", every.reconcile_interval_seconds, reconciler.run),
                Duty(
                    "certificate rotation",
                    settings.certificates.rotation_interval_seconds,
                    CertificateRotation(settings, self.db, self.queue).run,
                ),
                Duty("metrics collector", monitoring.collect_interval_seconds, collector.run),
                Duty(
                    "top queries",
                    monitoring.top_queries_interval_seconds,
                    collector.run_top_queries,
                ),
                Duty(
                    "backup schedules",
                    backup_schedules.CHECK_SECONDS,
                    backup_schedules.BackupScheduler(settings, self.db, self.queue).run,
                ),
                Duty(
                    "WAL shipper",
                    settings.backups.wal.ship_interval_seconds,
                    WalShipper(settings, self.db, self.drivers).run,
                ),
                Duty(
                    "metric retention",
                    monitoring.retention_interval_seconds,
                    collector.run_retention,
                ),
            ]
        )

    def _run_duties(self) -> None:
        """Periodic duties run beside the jobs, so a busy queue never starves them."""
        while not self._stop.is_set():
            self.duties.run_due()
            self._stop.wait(0.5)

    def stop(self, *_: object) -> None:
        self._stop.set()

    def install_signal_handlers(self) -> None:
        def handler(signum: int, _frame: FrameType | None) -> None:
            log.info("worker: signal %d, stopping after the current step", signum)
            self.stop()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def run_forever(self) -> None:
        log.info("worker %s started", self.owner)
        duties = threading.Thread(target=self._run_duties, name="duties", daemon=True)
        duties.start()
        while not self._stop.is_set():
            job = self.queue.claim(self.owner, self.settings.worker.lease_seconds)
            if job is not None:
                log.info("job %s (%s) claimed, attempt %d", job.id, job.workflow, job.attempts)
                self.runner.run(job)
                continue
            self._stop.wait(self.settings.worker.poll_seconds)
        duties.join()
        self.db.dispose()
        log.info("worker %s stopped", self.owner)
