"""Backup request models and the backup document as Trove clients read it."""

from __future__ import annotations

from typing import Any

from pydantic import Field, StrictFloat, StrictInt, StrictStr

from strongroom.api.schemas.common import Body, timestamp
from strongroom.contracts.errors import BadRequest
from strongroom.datastores import load_catalog
from strongroom.services.backup_registration import RegisterRequest
from strongroom.services.backup_schedules import ScheduleRequest, ScheduleView
from strongroom.services.backups import BackupRequest, BackupView

GIB = 1024**3


class RestoreFromFields(Body):
    """Trove's "backup from a data location" (`openstack database backup create NAME
    --restore-from LOCATION --restore-datastore-version ID [--restore-size GB]`)."""

    remote_location: StrictStr
    local_datastore_version_id: StrictStr | None = None
    size: StrictFloat | StrictInt | None = Field(None, ge=0)


class BackupFields(Body):
    name: StrictStr
    instance: StrictStr | None = None
    description: StrictStr | None = None
    parent_id: StrictStr | None = None
    incremental: StrictInt | None = Field(None, ge=0, le=1)
    restore_from: RestoreFromFields | None = None

    def to_registration(self) -> RegisterRequest:
        if self.instance is not None or self.parent_id is not None or self.incremental:
            raise BadRequest(
                "restore_from registers a stored backup; do not name an instance, a parent "
                "or incremental with it."
            )
        assert self.restore_from is not None
        return RegisterRequest(
            name=self.name,
            location=self.restore_from.remote_location,
            datastore_version_id=self.restore_from.local_datastore_version_id,
            size_gb=None if self.restore_from.size is None else float(self.restore_from.size),
            description=self.description,
        )

    def to_request(self) -> BackupRequest:
        if self.instance is None:
            raise BadRequest("A backup needs the instance to back up (or restore_from).")
        if self.parent_id is not None and self.incremental == 0:
            raise BadRequest("parent_id makes an incremental backup; do not set incremental: 0.")
        return BackupRequest(
            name=self.name,
            instance_id=self.instance,
            description=self.description,
            parent_id=self.parent_id,
            incremental=bool(self.incremental),
        )


class BackupBody(Body):
    backup: BackupFields


def render_backup(view: BackupView) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": view.id,
        "name": view.name,
        "description": view.description,
        "status": view.status,
        "instance_id": view.instance_id,
        "parent_id": view.parent_id,
        # Trove gives the size in GB; Strongroom adds the exact bytes and the sha256 of
        # the stored (compressed, encrypted) object.
        "size": round(view.size_bytes / GIB, 6) if view.size_bytes is not None else None,
        "size_bytes": view.size_bytes,
        "checksum": view.checksum,
        "locationRef": view.location,
        "datastore": {
            "type": view.datastore,
            "version": view.datastore_version,
            "version_id": _version_id(view.datastore, view.datastore_version),
        },
        "project_id": view.project_id,
        "created": timestamp(view.created),
        "updated": timestamp(view.updated),
    }
    if view.fault_message is not None:
        doc["fault"] = {"message": view.fault_message, "details": view.fault_details or ""}
    return doc


def _version_id(datastore: str, version: str) -> str | None:
    store = next((d for d in load_catalog() if d.name == datastore), None)
    found = store.version(version) if store is not None else None
    return found.id if found is not None else None


class ScheduleFields(Body):
    daily_at: StrictStr | None = None
    every_hours: StrictInt | None = None
    full_every: StrictInt = 1
    keep_fulls: StrictInt | None = None
    keep_days: StrictInt | None = None

    def to_request(self) -> ScheduleRequest:
        return ScheduleRequest(
            daily_at=self.daily_at,
            every_hours=self.every_hours,
            full_every=self.full_every,
            keep_fulls=self.keep_fulls,
            keep_days=self.keep_days,
        )


class ScheduleBody(Body):
    backup_schedule: ScheduleFields


def render_schedule(view: ScheduleView) -> dict[str, Any]:
    return {
        "instance_id": view.instance_id,
        "daily_at": view.daily_at,
        "every_hours": view.every_hours,
        "full_every": view.full_every,
        "keep_fulls": view.keep_fulls,
        "keep_days": view.keep_days,
        "next_run": timestamp(view.next_run_at),
    }
