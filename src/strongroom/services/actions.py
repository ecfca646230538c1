"""Instance actions (`POST /instances/{id}/action`): restart, resize flavor, resize volume.
Each moves the instance to REBOOT or RESIZE and queues its job; a second action meanwhile
is refused (409), so actions on one instance never interleave."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from strongroom.config import Settings
from strongroom.contracts.errors import BadRequest, Conflict, NotFound, OverLimit
from strongroom.domain.instance_status import Status
from strongroom.identity.context import RequestContext
from strongroom.jobs import kinds
from strongroom.jobs.queue import JobQueue
from strongroom.services.accounts import ACCOUNTS_MUTABLE
from strongroom.services.scope import check_write, visible_instance
from strongroom.store import catalog, instances
from strongroom.store.database import Database
from strongroom.store.models import Instance


class ActionService:
    def __init__(self, settings: Settings, db: Database, queue: JobQueue) -> None:
        self.settings = settings
        self.db = db
        self.queue = queue

    def restart(self, ctx: RequestContext, instance_id: str) -> None:
        with self.db.write() as s:
            row = _ready(s, ctx, instance_id)
            payload = {"done": "restarted", "failed": "not restarted"}
            self._start(s, row, Status.REBOOT, "restart requested", kinds.RESTART_INSTANCE, payload)

    def resize_flavor(self, ctx: RequestContext, instance_id: str, flavor_ref: str) -> None:
        with self.db.write() as s:
            row = _ready(s, ctx, instance_id)
            flavor = catalog.find_flavor(s, flavor_ref)
            if flavor is None:
                raise NotFound(f"Flavor {flavor_ref} could not be found.")
            if flavor.id == row.flavor_id:
                raise BadRequest(f"Instance {instance_id} already has flavor {flavor.name}.")
            self._check_ram(s, row, flavor.ram)
            payload = {
                "flavor_id": flavor.id,
                "done": f"resized to flavor {flavor.name}",
                "failed": f"not resized to flavor {flavor.name}",
            }
            what = f"resize to flavor {flavor.name} requested"
            self._start(s, row, Status.RESIZE, what, kinds.RESIZE_FLAVOR, payload)

    def resize_volume(self, ctx: RequestContext, instance_id: str, size: int) -> None:
        with self.db.write() as s:
            row = _ready(s, ctx, instance_id)
            if size <= row.volume_size:
                raise BadRequest(
                    f"The volume can only grow: {size} GiB is not more than {row.volume_size}."
                )
            top = self.settings.limits.max_volume_size
            if size > top:
                raise BadRequest(f"Volume size {size} must be at most {top} GiB.")
            quota = self.settings.quotas.max_volumes
            _, gib = instances.usage(s, row.project_id)
            if 0 <= quota < gib - row.volume_size + size:
                raise OverLimit(f"Quota exceeded for volumes: {gib} of {quota} GiB in use.")
            payload = {
                "size": size,
                "done": f"volume grown to {size} GiB",
                "failed": f"volume not grown to {size} GiB",
            }
            what = f"volume resize to {size} GiB requested"
            self._start(s, row, Status.RESIZE, what, kinds.RESIZE_VOLUME, payload)

    def _start(
        self,
        s: Session,
        row: Instance,
        status: Status,
        message: str,
        kind: str,
        payload: dict[str, Any],
    ) -> None:
        instances.set_status(s, row, status, message)
        self.queue.enqueue(s, kind, row.id, payload=payload)

    def _check_ram(self, s: Session, row: Instance, ram: int) -> None:
        quota = self.settings.quotas.max_ram
        if quota < 0:
            return
        used = 0
        for flavor_id in instances.flavor_ids_in_use(s, row.project_id):
            found = catalog.find_flavor(s, flavor_id)
            used += found.ram if found is not None else 0
        current = catalog.find_flavor(s, row.flavor_id)
        if used - (current.ram if current else 0) + ram > quota:
            raise OverLimit(f"Quota exceeded for ram: {used} of {quota} MiB in use.")


def _ready(s: Session, ctx: RequestContext, instance_id: str) -> Instance:
    check_write(ctx)
    row = visible_instance(s, ctx, instance_id)
    if row.status not in ACCOUNTS_MUTABLE:
        raise Conflict(
            f"Instance {instance_id} is {row.status}; actions are accepted once it is ACTIVE."
        )
    return row
