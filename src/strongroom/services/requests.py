"""Validated input of the instance use cases (parsed from the API's JSON by the API layer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class DatabaseRequest:
    name: str
    character_set: str | None = None
    collate: str | None = None


@dataclass(frozen=True)
class UserRequest:
    name: str
    password: str = field(repr=False)
    host: str | None = None
    databases: tuple[str, ...] = ()


@dataclass(frozen=True)
class CreateInstance:
    name: str
    flavor_ref: str | None
    volume_size: int | None
    datastore: str | None
    datastore_version: str | None
    network: str | None = None
    is_public: bool = False
    allowed_cidrs: tuple[str, ...] = ()
    databases: tuple[DatabaseRequest, ...] = ()
    users: tuple[UserRequest, ...] = field(default=(), repr=False)
    restore_from: str | None = None  # a backup id (Trove's restorePoint.backupRef)
    restore_time: datetime | None = None  # Strongroom extension: naive UTC
    deletion_protection: bool = False
