"""The one place that picks the backup object store: settings in, an `ObjectStore` out."""

from __future__ import annotations

import functools

from strongroom.config import Settings
from strongroom.config.settings import S3StoreSettings, SwiftStoreSettings
from strongroom.drivers.objectstore.base import ObjectStore


def open_object_store(settings: Settings) -> ObjectStore:
    """The store `settings.backups.store` names (no I/O: a remote store signs in and creates
    its container or bucket on first use). Remote stores are shared per settings, so steps
    that open the store again reuse its sign-in and connections."""
    kind = settings.backups.store
    if kind == "local":
        from strongroom.drivers.objectstore.local import LocalObjectStore

        return LocalObjectStore(settings.backups.local_path(settings.state_dir))
    if kind == "swift":
        return _swift(settings.backups.swift)
    if kind == "s3":
        return _s3(settings.backups.s3)
    if kind == "fake":
        from strongroom.drivers.objectstore.fake import FakeObjectStore

        return FakeObjectStore()
    raise ValueError(f"unknown backup store {kind!r}")


@functools.lru_cache(maxsize=8)
def _swift(section: SwiftStoreSettings) -> ObjectStore:
    from strongroom.drivers.objectstore.swift import SwiftObjectStore

    return SwiftObjectStore(section)


@functools.lru_cache(maxsize=8)
def _s3(section: S3StoreSettings) -> ObjectStore:
    from strongroom.drivers.objectstore.s3 import S3ObjectStore

    return S3ObjectStore(section)
