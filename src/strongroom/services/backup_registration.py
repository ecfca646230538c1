"""Registering a backup from a data location (Trove's `backup create --restore-from`): an
object already in this deployment's backup store becomes a COMPLETED full backup of the
caller's project, once the whole object has been read back through the restore pipeline
(every AES-GCM record authenticated with a master key this control plane holds, the zstd
frame decompressed to its end) and its size and sha256 recorded. Anything else is refused
with nothing written.

The location is only ever a name for an object of the configured store: a bare key as an
admin's `locationRef` shows it, or the store's URL/path form of one (`file://` or an absolute
path for `local`, `https://…/<container>/<key>` for Swift, `s3://<bucket>/<key>` or a
path-style URL for S3). It is never fetched as a URL. Only backup keys qualify
(`<project>/<instance>/<backup id>.srbk`), so WAL files and published logs, which live in the
same store, cannot be registered."""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.backups import compression, envelope
from strongroom.backups.errors import BackupCorrupted, BackupKeyMismatch
from strongroom.backups.keys import BackupKeys, MasterKey
from strongroom.config import Settings
from strongroom.contracts.errors import (
    BadRequest,
    Conflict,
    InfrastructureError,
    NotFound,
    StrongroomError,
)
from strongroom.datastores import load_catalog
from strongroom.drivers.objectstore.base import ObjectNotFound, ObjectStore
from strongroom.drivers.objectstore.registry import open_object_store
from strongroom.keyring import Keyring
from strongroom.services.backup_quota import check_backup_quota
from strongroom.store import backups
from strongroom.store.database import Database, utcnow
from strongroom.store.models import Backup, Instance

log = logging.getLogger(__name__)

GIB = 1024**3
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
BACKUP_KEY = re.compile(
    rf"^(?P<project>[A-Za-z0-9_-]{{1,64}})/(?P<instance>{_UUID})/(?P<backup>{_UUID})\.srbk$"
)
MAX_LOCATION_LENGTH = 2048
# The `size` a client states (GB, as `size` shows it) may differ from the object's by rounding.
SIZE_TOLERANCE_GB = 1e-6


@dataclass(frozen=True)
class RegisterRequest:
    """`{"backup": {"name", "description"?, "restore_from": {"remote_location",
    "local_datastore_version_id", "size"?}}}` as python-troveclient sends it."""

    name: str
    location: str
    datastore_version_id: str | None
    size_gb: float | None = None
    description: str | None = None


@dataclass(frozen=True)
class VerifiedObject:
    key: str
    size: int
    sha256: str
    key_id: str


@dataclass(frozen=True)
class _Target:
    key: str
    project: str
    instance_id: str
    backup_id: str
    datastore: str
    version: str


class _StoreReadFailed(Exception):
    """A failure of the store itself while reading (not of the object's content)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


def store_key(location: str, settings: Settings) -> str:
    """The key of the backup object `location` names in the configured store; BadRequest for
    anything that is not a backup object of this store."""
    text = location.strip()
    if not text or len(text) > MAX_LOCATION_LENGTH:
        raise BadRequest(f"remote_location must have 1 to {MAX_LOCATION_LENGTH} characters.")
    kind = settings.backups.store
    key: str | None
    if "://" in text:
        key = _key_of_url(text, settings)
    elif text.startswith("/"):
        key = _key_under_local_dir(text, settings) if kind == "local" else None
    else:
        key = text
    if key is None:
        raise BadRequest(
            f"remote_location {location!r} names no object of this deployment's backup store "
            f"({kind}); give the key as `locationRef` shows it, e.g. "
            "<project>/<instance>/<backup>.srbk."
        )
    if not BACKUP_KEY.match(key):
        raise BadRequest(
            f"remote_location {location!r} is not a backup object key "
            "(<project>/<instance id>/<backup id>.srbk, as `locationRef` shows it)."
        )
    return key


def _key_of_url(text: str, settings: Settings) -> str | None:
    url = urlsplit(text)
    if url.query or url.fragment:
        return None
    path = unquote(url.path)
    kind = settings.backups.store
    if kind == "local" and url.scheme == "file" and url.netloc in ("", "localhost"):
        return _key_under_local_dir(path, settings)
    if kind == "swift" and url.scheme in ("http", "https"):
        marker = f"/{settings.backups.swift.container}/"
        return path.split(marker, 1)[1] if marker in path else None
    if kind == "s3" and url.scheme == "s3":
        return path.lstrip("/") if url.netloc == settings.backups.s3.bucket else None
    if kind == "s3" and url.scheme in ("http", "https"):
        prefix = f"/{settings.backups.s3.bucket}/"
        return path[len(prefix) :] if path.startswith(prefix) else None
    return None


def _key_under_local_dir(path: str, settings: Settings) -> str | None:
    root = PurePosixPath(str(settings.backups.local_path(settings.state_dir)))
    candidate = PurePosixPath(path)
    if ".." in candidate.parts or not candidate.is_relative_to(root):
        return None
    return str(candidate.relative_to(root))


def verify_object(store: ObjectStore, key: str, keys: BackupKeys) -> VerifiedObject:
    """Read the whole object once: hash it, authenticate every record, decompress to the
    end. NotFound if absent; BadRequest if it is not a backup this control plane can read;
    a failure of the store itself propagates as it is."""
    digest = hashlib.sha256()
    size = 0
    used: list[str] = []

    def stored() -> Iterator[bytes]:
        nonlocal size
        try:
            for chunk in store.get(key):
                digest.update(chunk)
                size += len(chunk)
                yield chunk
        except StrongroomError as exc:
            raise _StoreReadFailed(exc) from exc

    def key_of(key_id: str) -> MasterKey:
        used.append(key_id)
        return keys.get(key_id)

    try:
        for _ in compression.decompress(envelope.unseal(stored(), key_of)):
            pass
    except _StoreReadFailed as failed:
        raise failed.error from None
    except (BackupCorrupted, BackupKeyMismatch, InfrastructureError) as exc:
        raise BadRequest(
            f"The object at {key!r} is not a Strongroom backup this deployment can read: "
            f"{exc.message}."
        ) from None
    return VerifiedObject(key=key, size=size, sha256=digest.hexdigest(), key_id=used[0])


class BackupRegistration:
    """The use case behind `POST /backups` with `restore_from` (admins: policy rule
    `backup:restore_from`, checked by the router)."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db

    def register(self, project_id: str, name: str, req: RegisterRequest) -> Backup:
        key = store_key(req.location, self.settings)
        with self.db.read() as s:
            target = self._target(s, key, req)
            self._check_free(s, target)
        store = open_object_store(self.settings)
        try:
            stored_size = store.size(key)
        except ObjectNotFound:
            raise NotFound(f"No object {key!r} in this deployment's backup store.") from None
        with self.db.read() as s:  # before reading a large object for nothing
            self._check_quota(s, project_id, stored_size)
        verified = verify_object(store, key, BackupKeys(Keyring(self.settings.state_dir)))
        _check_stated_size(req, verified)
        with self.db.write() as s:
            backups.lock_project(s, project_id)
            backups.lock_project(s, f"location:{key}")  # two registrations of one object
            self._check_free(s, target)
            self._check_quota(s, project_id, verified.size)
            row = _row(project_id, name, req.description, target, verified)
            s.add(row)
            s.flush()
        log.info(
            "backup %s registered from %s (%d bytes, sha256 %s)",
            row.id,
            key,
            verified.size,
            verified.sha256,
        )
        return row

    def _target(self, s: Session, key: str, req: RegisterRequest) -> _Target:
        parts = BACKUP_KEY.match(key)
        assert parts is not None  # store_key checked it
        if not req.datastore_version_id:
            raise BadRequest(
                "restore_from needs local_datastore_version_id (the id of the datastore "
                "version the backup was taken with, as `openstack datastore version list` "
                "shows it)."
            )
        found = [
            (d.name, v.name)
            for d in load_catalog()
            for v in d.versions
            if v.id == req.datastore_version_id
        ]
        if not found:
            raise NotFound(f"Datastore version {req.datastore_version_id} could not be found.")
        datastore, version = found[0]
        source = s.get(Instance, parts["instance"])
        if source is not None and (source.datastore, source.datastore_version) != (
            datastore,
            version,
        ):
            raise BadRequest(
                f"The backup at {key!r} was taken of a {source.datastore} "
                f"{source.datastore_version} instance, not {datastore} {version}."
            )
        return _Target(
            key, parts["project"], parts["instance"], parts["backup"], datastore, version
        )

    @staticmethod
    def _check_free(s: Session, target: _Target) -> None:
        """An object belongs to one backup: deleting a backup deletes its object."""
        holder = backups.get(s, target.backup_id)
        if holder is None:
            holder = s.scalars(select(Backup).where(Backup.location == target.key)).first()
        if holder is not None:
            raise Conflict(f"The object at {target.key!r} belongs to backup {holder.id} already.")

    def _check_quota(self, s: Session, project_id: str, size: int) -> None:
        check_backup_quota(s, project_id, self.settings.quotas, adding_bytes=size)


def _check_stated_size(req: RegisterRequest, verified: VerifiedObject) -> None:
    if req.size_gb is None:
        return
    actual = round(verified.size / GIB, 6)
    if abs(actual - req.size_gb) > SIZE_TOLERANCE_GB:
        raise BadRequest(
            f"The object at {verified.key!r} has {actual} GB ({verified.size} bytes), "
            f"not the stated size {req.size_gb}."
        )


def _row(
    project_id: str,
    name: str,
    description: str | None,
    target: _Target,
    verified: VerifiedObject,
) -> Backup:
    now = utcnow()
    return Backup(
        id=str(uuid.uuid4()),
        project_id=project_id,
        name=name,
        description=description,
        instance_id="",  # of no instance here (shown as null, as Trove shows it)
        parent_id=None,
        kind=backups.FULL,
        datastore=target.datastore,
        datastore_version=target.version,
        status=backups.COMPLETED,
        size_bytes=verified.size,
        checksum=verified.sha256,
        location=verified.key,
        key_id=verified.key_id,
        checkpoint=None,
        accounts={},
        scheduled=False,
        created_at=now,
        updated_at=now,
    )
