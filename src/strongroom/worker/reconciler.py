"""Compare what exists on the infrastructure with what the control DB says, and mend it.

Anything that exists with no live instance record (and no job still working on it) is torn
down. Recorded instances whose sandbox is gone are reported by the health manager.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from strongroom.drivers.registry import DriverSet
from strongroom.jobs.queue import UNFINISHED
from strongroom.store.database import Database
from strongroom.store.models import Instance, Job

log = logging.getLogger(__name__)


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
        for instance_id in sorted(self.orphans()):
            log.warning("reconciler: removing leftovers of instance %s", instance_id)
            self.drivers.compute.stop_agent(instance_id)
            self.drivers.network.remove_firewall(instance_id)
            self.drivers.volume.delete(instance_id)
            self.drivers.network.unplug(instance_id)
            self.drivers.compute.delete_sandbox(instance_id)
