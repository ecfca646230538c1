"""Instance request models and the instance document as Trove clients read it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, StrictBool, StrictInt, StrictStr, field_validator

from strongroom.api.schemas.common import Body, links, timestamp
from strongroom.contracts.errors import BadRequest
from strongroom.services.pitr import parse_time
from strongroom.services.requests import CreateInstance, DatabaseRequest, UserRequest
from strongroom.services.views import InstanceView


class VolumeBody(Body):
    size: StrictInt | None = None
    type: StrictStr | None = None


class DatastoreBody(Body):
    type: StrictStr | None = None
    version: StrictStr | None = None


class DatabaseBody(Body):
    name: StrictStr
    character_set: StrictStr | None = None
    collate: StrictStr | None = None


class UserDatabaseBody(Body):
    name: StrictStr


class UserBody(Body):
    name: StrictStr
    password: StrictStr = Field(repr=False)
    host: StrictStr | None = None
    databases: list[UserDatabaseBody] = Field(default_factory=list, max_length=100)


class NicBody(Body):
    net_id: StrictStr | None = Field(None, alias="net-id")
    network_id: StrictStr | None = None
    subnet_id: StrictStr | None = None
    ip_address: StrictStr | None = None


class AccessBody(Body):
    is_public: StrictBool = False
    allowed_cidrs: list[StrictStr] = Field(default_factory=list, max_length=100)


class CreateInstanceFields(Body):
    name: StrictStr
    flavorRef: StrictStr | StrictInt | None = None
    volume: VolumeBody | None = None
    datastore: DatastoreBody | None = None
    databases: list[DatabaseBody] = Field(default_factory=list, max_length=100)
    users: list[UserBody] = Field(default_factory=list, max_length=100)
    nics: list[NicBody] = Field(default_factory=list, max_length=1)
    access: AccessBody | None = None
    configuration: StrictStr | None = None
    restorePoint: dict[str, Any] | None = None
    replica_of: StrictStr | None = None
    replica_count: StrictInt | None = None
    availability_zone: StrictStr | None = None
    locality: StrictStr | None = None
    modules: list[Any] | None = None
    deletion_protection: StrictBool = False  # Strongroom extension

    @field_validator("databases", "users", "nics", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    def to_request(self) -> CreateInstance:
        self._refuse_unsupported()
        nic = self.nics[0] if self.nics else None
        if nic is not None and (nic.subnet_id or nic.ip_address):
            raise BadRequest("Choosing a subnet or a fixed address in nics is not supported.")
        access = self.access or AccessBody()
        return CreateInstance(
            name=self.name,
            flavor_ref=None if self.flavorRef is None else str(self.flavorRef),
            volume_size=self.volume.size if self.volume else None,
            datastore=self.datastore.type if self.datastore else None,
            datastore_version=self.datastore.version if self.datastore else None,
            network=(nic.network_id or nic.net_id) if nic else None,
            is_public=access.is_public,
            allowed_cidrs=tuple(access.allowed_cidrs),
            databases=tuple(
                DatabaseRequest(d.name, d.character_set, d.collate) for d in self.databases
            ),
            users=tuple(
                UserRequest(u.name, u.password, u.host, tuple(d.name for d in u.databases))
                for u in self.users
            ),
            restore_from=_backup_ref(self.restorePoint),
            restore_time=_restore_time(self.restorePoint),
            deletion_protection=self.deletion_protection,
        )

    def _refuse_unsupported(self) -> None:
        unsupported = {
            "replica_of": self.replica_of,
            "replica_count": self.replica_count,
            "locality": self.locality,
            "modules": self.modules or None,
        }
        named = [k for k, v in unsupported.items() if v is not None]
        if named:
            raise BadRequest(f"Not supported yet: {', '.join(named)}.")


def _backup_ref(restore_point: dict[str, Any] | None) -> str | None:
    if restore_point is None:
        return None
    ref = restore_point.get("backupRef")
    if not isinstance(ref, str) or not ref:
        raise BadRequest("restorePoint needs a backupRef (a backup id).")
    return ref


def _restore_time(restore_point: dict[str, Any] | None) -> datetime | None:
    """Strongroom extension: `restorePoint.restore_time`, a point in time after the backup."""
    if restore_point is None or restore_point.get("restore_time") is None:
        return None
    return parse_time(restore_point["restore_time"])


class CreateInstanceBody(Body):
    instance: CreateInstanceFields


class UpdateInstanceFields(Body):
    name: StrictStr | None = None
    access: AccessBody | None = None
    # A group's id attaches it; null or {} detaches (troveclient sends null).
    configuration: StrictStr | dict[str, Any] | None = None
    deletion_protection: StrictBool | None = None  # Strongroom extension

    @property
    def configures(self) -> bool:
        return "configuration" in self.model_fields_set

    def configuration_id(self) -> str | None:
        if isinstance(self.configuration, dict):
            if self.configuration:
                raise BadRequest("configuration must be a configuration id, null or {}.")
            return None
        return self.configuration


class UpdateInstanceBody(Body):
    instance: UpdateInstanceFields


def render_instance(view: InstanceView, base_url: str, region: str) -> dict[str, Any]:
    used_percent = (
        round(100.0 * view.volume_used / view.volume_size, 2)
        if view.volume_used is not None
        else None
    )
    doc: dict[str, Any] = {
        "id": view.id,
        "name": view.name,
        "status": view.status,
        "operating_status": view.operating_status,
        "flavor": {"id": view.flavor_id, "links": links(base_url, f"flavors/{view.flavor_id}")},
        "datastore": {
            "type": view.datastore,
            "version": view.datastore_version,
            "version_number": view.datastore_version,
        },
        "volume": {
            "size": view.volume_size,
            "used": view.volume_used,
            "used_percent": used_percent,
        },
        "addresses": [
            {"address": a.address, "type": a.type, "network": a.network} for a in view.addresses
        ],
        "ip": [a.address for a in view.addresses],
        "access": {
            "is_public": view.is_public,
            "allowed_cidrs": list(view.allowed_cidrs),
            # Strongroom extension, read-only: what the firewall admits to the datastore port.
            "rules": [
                {"source": r.source, "port": r.port, "protocol": r.protocol} for r in view.rules
            ],
        },
        "created": timestamp(view.created),
        "updated": timestamp(view.updated),
        "service_status_updated": timestamp(view.service_status_updated),
        "links": links(base_url, f"{view.project_id}/instances/{view.id}"),
        "region": region,
        "tenant_id": view.project_id,
        "deletion_protection": view.deletion_protection,  # Strongroom extension
    }
    if view.archives_wal:  # Strongroom extension: the newest point-in-time restore target
        doc["latest_restorable_time"] = timestamp(view.latest_restorable_time)
    if view.fault is not None:
        doc["fault"] = {
            "message": view.fault.message,
            "created": timestamp(view.fault.created),
            "details": view.fault.details or "",
        }
    return doc


def render_attached(attached: tuple[str, str], base_url: str) -> dict[str, Any]:
    """The configuration group an instance uses, as its show document names it."""
    group_id, name = attached
    return {"id": group_id, "name": name, "links": links(base_url, f"configurations/{group_id}")}


class ResizeVolumeBody(Body):
    size: StrictInt


class ResizeBody(Body):
    flavorRef: StrictStr | StrictInt | None = None
    volume: ResizeVolumeBody | None = None


class ActionBody(Body):
    """`POST /instances/{id}/action`: exactly one action."""

    restart: dict[str, Any] | None = None
    resize: ResizeBody | None = None
    promote_to_replica_source: dict[str, Any] | None = None
    eject_replica_source: dict[str, Any] | None = None
    reset_status: dict[str, Any] | None = None

    def chosen(self) -> str:
        given = [name for name in self.model_fields_set if getattr(self, name) is not None]
        if len(given) != 1:
            raise BadRequest("Give exactly one action: restart or resize.")
        if given[0] not in ("restart", "resize", "reset_status"):
            raise BadRequest(f"The {given[0]} action is not supported yet.")
        resize = self.resize
        if resize is not None and (resize.flavorRef is None) == (resize.volume is None):
            raise BadRequest("resize takes either flavorRef or volume.size.")
        return given[0]
