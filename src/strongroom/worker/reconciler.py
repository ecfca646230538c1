"""Compare what exists on the infrastructure with what the control DB says, and mend it.

Anything that exists with no live instance record (and no job still working on it) is torn
down. A built instance whose sandbox or volume is gone is put in ERROR with a fault that
says so (its agent not answering is the health manager's business).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from strongroom.domain.instance_status import OperatingStatus, Status
from strongroom.drivers.registry import DriverSet
from strongroom.jobs.queue import UNFINISHED
from strongroom.store import instances
from strongroom.store.database import Database
from strongroom.store.models import Instance, Job

log = logging.getLogger(__name__)

# Statuses of an instance whose infrastructure must exist.
BUILT = (Status.ACTIVE, Status.RESTART_REQUIRED, Status.SHUTDOWN)


class Reconciler:
    def __init__(self, db: Database, drivers: DriverSet) -> None:
        self.db = db
        self.drivers = drivers

    def orphans(self) -> set[str]:
        """Instance ids that own infrastructure but have neither a live record nor a job."""
        existing = (
            self.drivers.compute.list_sandboxes()
            | self.drivers.network.list_plugged()
            | self.drivers.volume.list_volumes()
        )
        if not existing:
            return set()
        with self.db.read() as s:
            live = set(
                s.scalars(
                    select(Instance.id).where(
                        Instance.id.in_(existing), Instance.deleted_at.is_(None)
                    )
                )
            )
            busy = set(
                s.scalars(
                    select(Job.resource_id).where(
                        Job.resource_id.in_(existing), Job.state.in_(UNFINISHED)
                    )
                )
            )
        return existing - live - busy

    def run(self) -> None:
        self.report_missing()
        for instance_id in sorted(self.orphans()):
            log.warning("reconciler: removing leftovers of instance %s", instance_id)
            self.drivers.compute.stop_agent(instance_id)
            self.drivers.network.remove_firewall(instance_id)
            self.drivers.volume.delete(instance_id)
            self.drivers.network.unplug(instance_id)
            self.drivers.compute.delete_sandbox(instance_id)

    def report_missing(self) -> None:
        # The records first, then the host: an instance built by then had its sandbox and
        # volume before it was built (listing the host first would miss a create that ends
        # in between, and call its brand-new volume gone).
        with self.db.read() as s:
            busy = select(Job.resource_id).where(Job.state.in_(UNFINISHED))
            built = s.scalars(
                select(Instance.id).where(
                    Instance.deleted_at.is_(None),
                    Instance.status.in_(BUILT),
                    Instance.id.not_in(busy),
                )
            ).all()
        if not built:
            return
        sandboxes = self.drivers.compute.list_sandboxes()
        volumes = self.drivers.volume.list_volumes()
        for instance_id in built:
            gone = [
                part
                for part, present in (("sandbox", sandboxes), ("volume", volumes))
                if instance_id not in present
            ]
            if gone:
                self._mark_missing(instance_id, gone)

    def _mark_missing(self, instance_id: str, gone: list[str]) -> None:
        verb = "is" if len(gone) == 1 else "are"
        message = f"the instance's {' and '.join(gone)} {verb} gone from the host"
        with self.db.write() as s:
            row = s.get(Instance, instance_id)
            if row is None or row.deleted_at is not None or row.status not in BUILT:
                return
            log.warning("reconciler: instance %s: %s", instance_id, message)
            instances.set_fault(s, row, message, None)
            instances.set_status(s, row, Status.ERROR, message, operating=OperatingStatus.ERROR)
