"""A backup stream survives the pipeline byte for byte; a tampered, truncated, foreign or
wrongly keyed object is refused before a single byte would reach an agent."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from strongroom.backups import compression
from strongroom.backups.errors import BackupCorrupted, BackupKeyMismatch
from strongroom.backups.keys import BackupKeys
from strongroom.backups.stream_pipeline import (
    BackupSource,
    StoredBackup,
    open_backup,
    open_chain,
    store_backup,
    verify_backup,
)
from strongroom.contracts.backups import BackupKind, BackupTrailer, StreamEncoding
from strongroom.drivers.objectstore.fake import FakeObjectStore
from strongroom.drivers.objectstore.local import LocalObjectStore
from strongroom.keyring import Keyring

pytestmark = pytest.mark.unit

KEY = "inst-1/backup-1"


def payload(size: int) -> bytes:
    """Half compressible text, half random: like a database with some incompressible rows."""
    text = b"row %d: the quick brown fox\n" * (size // 60)
    return text + os.urandom(size - len(text))


def source(data: bytes, chunk: int = 65536, trailer_data: bytes | None = None) -> BackupSource:
    reported = data if trailer_data is None else trailer_data
    trailer = BackupTrailer(
        kind=BackupKind.FULL,
        engine="mariadb",
        checkpoint="to_lsn = 42\n",
        data_bytes=len(reported),
    )
    chunks = iter([data[i : i + chunk] for i in range(0, len(data), chunk)])
    return BackupSource(chunks, lambda: trailer)


@pytest.fixture
def keys(tmp_path: Path) -> BackupKeys:
    return BackupKeys(Keyring(tmp_path / "state"))


@pytest.fixture
def store() -> FakeObjectStore:
    return FakeObjectStore()


def backed_up(store: FakeObjectStore, keys: BackupKeys, data: bytes) -> StoredBackup:
    stored, trailer = store_backup(source(data), store, KEY, keys.current())
    assert trailer.checkpoint == "to_lsn = 42\n"
    return stored


def test_round_trip_is_exact_and_encrypted(store: FakeObjectStore, keys: BackupKeys) -> None:
    data = payload(3 * 1024 * 1024 + 17)
    stored = backed_up(store, keys, data)
    blob = store.objects[KEY]
    assert stored.size == len(blob) and stored.sha256 == hashlib.sha256(blob).hexdigest()
    assert b"quick brown fox" not in blob  # compressed, then encrypted
    assert b"".join(open_backup(store, stored, keys)) == data


def test_empty_stream_round_trips(store: FakeObjectStore, keys: BackupKeys) -> None:
    stored = backed_up(store, keys, b"")
    assert b"".join(open_backup(store, stored, keys)) == b""


def test_local_store_round_trip(tmp_path: Path, keys: BackupKeys) -> None:
    local = LocalObjectStore(tmp_path / "objects")
    data = payload(512 * 1024)
    stored, _ = store_backup(source(data), local, KEY, keys.current())
    assert local.exists(KEY) and local.size(KEY) == stored.size
    assert b"".join(open_backup(local, stored, keys)) == data
    local.delete(KEY)
    assert not local.exists(KEY)


@pytest.mark.parametrize("where", ["header", "middle", "end"])
def test_a_flipped_byte_is_refused_up_front(
    store: FakeObjectStore, keys: BackupKeys, where: str
) -> None:
    stored = backed_up(store, keys, payload(256 * 1024))
    blob = bytearray(store.objects[KEY])
    position = {"header": 10, "middle": len(blob) // 2, "end": len(blob) - 1}[where]
    blob[position] ^= 0x01
    store.objects[KEY] = bytes(blob)
    with pytest.raises(BackupCorrupted, match="checksum"):
        open_backup(store, stored, keys)


def test_tampering_that_keeps_the_recorded_checksum_still_fails_authentication(
    store: FakeObjectStore, keys: BackupKeys
) -> None:
    backed_up(store, keys, payload(256 * 1024))
    blob = bytearray(store.objects[KEY])
    blob[len(blob) // 2] ^= 0x01
    store.objects[KEY] = bytes(blob)
    forged = StoredBackup(KEY, len(blob), hashlib.sha256(blob).hexdigest())
    with pytest.raises(BackupCorrupted, match="authentication"):
        verify_backup(store, forged, keys)


@pytest.mark.parametrize("cut", [1, 100, 30])
def test_truncation_is_refused(store: FakeObjectStore, keys: BackupKeys, cut: int) -> None:
    stored = backed_up(store, keys, payload(256 * 1024))
    store.objects[KEY] = store.objects[KEY][:-cut]
    with pytest.raises(BackupCorrupted, match="wrong size"):
        open_backup(store, stored, keys)
    # even with forged size and checksum, a missing final record is detected
    blob = store.objects[KEY]
    forged = StoredBackup(KEY, len(blob), hashlib.sha256(blob).hexdigest())
    with pytest.raises(BackupCorrupted):
        verify_backup(store, forged, keys)


def test_dropping_whole_records_is_refused(store: FakeObjectStore, keys: BackupKeys) -> None:
    stored = backed_up(store, keys, payload(9 * 1024 * 1024))
    blob = store.objects[KEY]
    header_end = 4 + 2 + len("backup-master") + 12 + 48
    first_len = int.from_bytes(blob[header_end + 1 : header_end + 5], "big")
    spliced = blob[:header_end] + blob[header_end + 5 + first_len :]
    store.objects[KEY] = spliced
    forged = StoredBackup(KEY, len(spliced), hashlib.sha256(spliced).hexdigest())
    with pytest.raises(BackupCorrupted, match="authentication"):
        verify_backup(store, forged, keys)
    assert stored.size > len(spliced)


def test_wrong_master_key_is_refused(
    store: FakeObjectStore, keys: BackupKeys, tmp_path: Path
) -> None:
    stored = backed_up(store, keys, payload(64 * 1024))
    other = BackupKeys(Keyring(tmp_path / "other-state"))
    other.current()  # a key of the same name, different bytes
    with pytest.raises(BackupKeyMismatch, match="does not unwrap"):
        open_backup(store, stored, other)
    missing = BackupKeys(Keyring(tmp_path / "empty-state"))
    with pytest.raises(BackupKeyMismatch, match="not available"):
        open_backup(store, stored, missing)
    assert not (tmp_path / "empty-state").exists()  # never invented a key


def test_a_stream_differing_from_the_trailer_stores_nothing(
    store: FakeObjectStore, keys: BackupKeys
) -> None:
    data = payload(128 * 1024)
    with pytest.raises(BackupCorrupted, match="differs"):
        store_backup(source(data[:-10], trailer_data=data), store, KEY, keys.current())
    assert not store.exists(KEY)


def test_a_failing_source_stores_nothing(tmp_path: Path, keys: BackupKeys) -> None:
    local = LocalObjectStore(tmp_path / "objects")

    def broken() -> Iterator[bytes]:
        yield payload(300 * 1024)
        raise ConnectionError("agent went away")

    failing = BackupSource(broken(), source(b"").trailer)
    with pytest.raises(ConnectionError):
        store_backup(failing, local, KEY, keys.current())
    assert not local.exists(KEY)
    assert list((tmp_path / "objects").rglob("*")) == [tmp_path / "objects" / "inst-1"]


def test_a_chain_is_verified_entirely_before_any_part_is_read(
    store: FakeObjectStore, keys: BackupKeys
) -> None:
    full = backed_up(store, keys, b"full" * 1000)
    incremental, _ = store_backup(source(b"incr" * 1000), store, "inst-1/b2", keys.current())
    parts = open_chain(store, [full, incremental], keys)
    assert [b"".join(p) for p in parts] == [b"full" * 1000, b"incr" * 1000]
    store.objects["inst-1/b2"] = store.objects["inst-1/b2"][:-1] + b"\x00"
    with pytest.raises(BackupCorrupted):
        open_chain(store, [full, incremental], keys)


def test_object_keys_cannot_escape_the_store(tmp_path: Path) -> None:
    local = LocalObjectStore(tmp_path / "objects")
    for bad in ["../x", "a//b", "/abs", "", "a/../b", ".hidden"]:
        with pytest.raises(Exception, match="invalid object key"):
            local.put(bad, [b"x"])


def zstd_source(
    data: bytes, trailer_encoding: StreamEncoding = StreamEncoding.ZSTD
) -> BackupSource:
    """What an agent that compresses sends: one zstd frame of `data`."""
    frame = b"".join(compression.compress(iter([data])))
    trailer = BackupTrailer(
        kind=BackupKind.FULL,
        engine="mariadb",
        checkpoint="to_lsn = 42\n",
        data_bytes=len(frame),
        encoding=trailer_encoding,
    )
    chunks = iter([frame[i : i + 65536] for i in range(0, len(frame), 65536)])
    return BackupSource(chunks, lambda: trailer, StreamEncoding.ZSTD)


def test_a_stream_the_agent_compressed_is_stored_as_a_native_one_would_be(
    store: FakeObjectStore, keys: BackupKeys
) -> None:
    data = payload(2 * 1024 * 1024 + 5)
    stored, _ = store_backup(zstd_source(data), store, KEY, keys.current())
    assert b"".join(open_backup(store, stored, keys)) == data  # the same object format
    (native,) = open_chain(store, [stored], keys)
    assert b"".join(native) == data
    (frame,) = open_chain(store, [stored], keys, StreamEncoding.ZSTD)
    assert b"".join(compression.decompress(frame)) == data


def test_an_encoding_the_trailer_contradicts_stores_nothing(
    store: FakeObjectStore, keys: BackupKeys
) -> None:
    with pytest.raises(BackupCorrupted, match="differs"):
        store_backup(zstd_source(b"x" * 1000, StreamEncoding.NATIVE), store, KEY, keys.current())
    assert not store.exists(KEY)
