"""Backup stream ⇄ stored object: compress (zstd) → encrypt (`envelope`) → sha256 → store,
and back, verifying the whole object before a single byte is handed on.

The stored plaintext is always one zstd frame of the engine's native stream. A stream the
agent already compressed (`StreamEncoding.ZSTD`, what the worker asks for) is sealed as it
arrives; a native one (an agent that predates it, the WAL shipper) is compressed here first.
Likewise a restore hands on either the zstd frame as stored (for an agent that decompresses
it) or the native stream.

Storing checks what arrived against the agent's trailer (the byte count and encoding of the
stream) before the final record is written, so a short or altered stream from the agent never
becomes a stored object. Opening reads the object twice: the first pass checks its size and
sha256 against the values recorded at backup time and authenticates every record (so a
damaged, truncated or foreign object and a wrong key are all refused up front); only then does
the second pass decrypt and decompress. If the object changes between the passes, the second
pass fails authentication and stops mid-stream, which the agent sees as a truncated body.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from strongroom.backups import compression, envelope
from strongroom.backups.errors import BackupCorrupted, BackupKeyMismatch
from strongroom.backups.keys import BackupKeys, MasterKey
from strongroom.backups.readahead import read_ahead
from strongroom.contracts.backups import BackupTrailer, StreamEncoding
from strongroom.drivers.objectstore.base import ObjectStore


@dataclass(frozen=True)
class StoredBackup:
    """Where a backup object is and what it must hash to (kept in the control DB)."""

    key: str
    size: int
    sha256: str


@dataclass(frozen=True)
class BackupSource:
    """An agent's backup stream: its data, and its trailer once the data is exhausted."""

    chunks: Iterator[bytes]
    trailer: Callable[[], BackupTrailer]
    encoding: StreamEncoding = StreamEncoding.NATIVE
    """What `chunks` carry: the native stream, or one zstd frame of it."""


def store_backup(
    source: BackupSource, store: ObjectStore, key: str, master: MasterKey
) -> tuple[StoredBackup, BackupTrailer]:
    """Compress (unless the agent did), encrypt and upload `source` under `key`; the stored
    object's size and sha256, and the agent's trailer (its checkpoint). Nothing is stored on
    any failure."""
    checked = _checked_against_trailer(source)
    object_hash = hashlib.sha256()
    plain = read_ahead(checked.chunks)  # receiving overlaps sealing, hashing and writing
    if source.encoding is StreamEncoding.NATIVE:
        plain = compression.compress(plain)

    def hashed() -> Iterator[bytes]:
        for chunk in envelope.seal(plain, master):
            object_hash.update(chunk)
            yield chunk

    size = store.put(key, hashed())
    return StoredBackup(key, size, object_hash.hexdigest()), checked.trailer()


def verify_backup(store: ObjectStore, stored: StoredBackup, keys: BackupKeys) -> None:
    """Refuse (`BackupCorrupted` / `BackupKeyMismatch`) unless the object has the recorded
    size and sha256 and every record authenticates. A checksum mismatch wins over the key
    error it may cause, so a damaged header is reported as corruption."""
    if store.size(stored.key) != stored.size:
        raise BackupCorrupted(
            "the backup object has the wrong size",
            detail=f"{stored.key}: {store.size(stored.key)} bytes, expected {stored.size}",
        )
    object_hash = hashlib.sha256()

    def hashed() -> Iterator[bytes]:
        for chunk in store.get(stored.key):
            object_hash.update(chunk)
            yield chunk

    records = hashed()
    failure: BackupCorrupted | BackupKeyMismatch | None = None
    try:
        for _ in envelope.unseal(records, keys.get):
            pass
    except (BackupCorrupted, BackupKeyMismatch) as exc:
        failure = exc
        for _ in records:  # finish the checksum: it decides what to report
            pass
    if object_hash.hexdigest() != stored.sha256:
        raise BackupCorrupted("the backup object fails its checksum", detail=stored.key)
    if failure is not None:
        raise failure


def open_backup(store: ObjectStore, stored: StoredBackup, keys: BackupKeys) -> Iterator[bytes]:
    """`verify_backup` now, then the backup's raw stream (lazily, on the second read)."""
    verify_backup(store, stored, keys)
    return compression.decompress(envelope.unseal(store.get(stored.key), keys.get))


def open_chain(
    store: ObjectStore,
    chain: list[StoredBackup],
    keys: BackupKeys,
    encoding: StreamEncoding = StreamEncoding.NATIVE,
) -> list[Iterator[bytes]]:
    """Every part of a restore chain (full first) in `encoding` (`ZSTD`: the stored zstd
    frame, decrypted but not decompressed), all verified before any is read."""
    for stored in chain:
        verify_backup(store, stored, keys)
    parts = [envelope.unseal(store.get(stored.key), keys.get) for stored in chain]
    if encoding is not StreamEncoding.ZSTD:
        parts = [compression.decompress(part) for part in parts]
    return [read_ahead(part) for part in parts]  # reading overlaps sending


def _checked_against_trailer(source: BackupSource) -> BackupSource:
    count = 0

    def chunks() -> Iterator[bytes]:
        nonlocal count
        for chunk in source.chunks:
            count += len(chunk)
            yield chunk
        trailer = source.trailer()
        if count != trailer.data_bytes or trailer.encoding is not source.encoding:
            raise BackupCorrupted(
                "the backup stream differs from what the agent sent",
                detail=f"received {count} bytes ({source.encoding}), the agent reports"
                f" {trailer.data_bytes} ({trailer.encoding})",
            )

    return BackupSource(chunks(), source.trailer, source.encoding)
