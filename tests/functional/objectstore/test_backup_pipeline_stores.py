"""The backup pipeline against real remote stores (Swift's own API and its S3 API): a stream
spanning several segments (parts) is stored, read back, decrypted and checksum-verified byte
for byte; a truncated or altered object is refused before a byte is handed on; a stream that
breaks or disagrees with the agent's trailer leaves nothing in the store."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from strongroom.backups.errors import BackupCorrupted
from strongroom.backups.keys import BackupKeys
from strongroom.backups.stream_pipeline import BackupSource, StoredBackup, open_backup, store_backup
from strongroom.contracts.backups import BackupKind, BackupTrailer
from strongroom.keyring import Keyring
from tests.functional.objectstore.conftest import StoreUnderTest, build_store

pytestmark = pytest.mark.functional

KEY = "inst-1/backup-1"


class AgentWentAway(Exception):
    pass


@pytest.fixture(params=["swift", "s3"])
def remote(request: pytest.FixtureRequest, tmp_path: Path) -> StoreUnderTest:
    return build_store(request, tmp_path, request.param)


@pytest.fixture
def keys(tmp_path: Path) -> BackupKeys:
    return BackupKeys(Keyring(tmp_path / "state"))


def payload(remote: StoreUnderTest, segments: float = 2.2) -> bytes:
    """Some compressible text, then random bytes: stored (compressed, encrypted) it spans
    `segments` segments (parts) of the store."""
    text = b"row: the quick brown fox\n" * 40_000
    return text + os.urandom(int(segments * remote.segment_size))


def source(data: bytes, reported: int | None = None, break_at: int | None = None) -> BackupSource:
    trailer = BackupTrailer(
        kind=BackupKind.FULL,
        engine="mariadb",
        checkpoint="to_lsn = 42\n",
        data_bytes=len(data) if reported is None else reported,
    )

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(data), 65536):
            if break_at is not None and start >= break_at:
                raise AgentWentAway("the agent closed the stream")
            yield data[start : start + 65536]

    return BackupSource(chunks(), lambda: trailer)


def test_backup_round_trips_through_the_store(remote: StoreUnderTest, keys: BackupKeys) -> None:
    data = payload(remote)
    stored, trailer = store_backup(source(data), remote.store, KEY, keys.current())
    assert trailer.checkpoint == "to_lsn = 42\n"
    assert remote.store.size(KEY) == stored.size > 2 * remote.segment_size
    blob = b"".join(remote.store.get(KEY))
    assert hashlib.sha256(blob).hexdigest() == stored.sha256
    assert b"quick brown fox" not in blob  # compressed, then encrypted
    assert b"".join(open_backup(remote.store, stored, keys)) == data


def test_damaged_objects_are_refused_up_front(remote: StoreUnderTest, keys: BackupKeys) -> None:
    stored, _ = store_backup(source(payload(remote, 0.5)), remote.store, KEY, keys.current())
    good = b"".join(remote.store.get(KEY))
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0x01
    cut = good[:-1000]
    for blob, record in (
        (cut, stored),  # truncated
        (bytes(flipped), stored),  # one bit changed
        # cut, and recorded as cut (size and sha256 match): the encrypted records catch it
        (cut, StoredBackup(KEY, len(cut), hashlib.sha256(cut).hexdigest())),
    ):
        remote.store.put(KEY, [blob])
        with pytest.raises(BackupCorrupted):
            open_backup(remote.store, record, keys)


def test_broken_stream_leaves_nothing(remote: StoreUnderTest, keys: BackupKeys) -> None:
    data = payload(remote)
    with pytest.raises(AgentWentAway):
        store_backup(source(data, break_at=len(data) - 65536), remote.store, KEY, keys.current())
    assert not remote.store.exists(KEY)
    assert remote.holdings() == []


def test_stream_shorter_than_the_trailer_says_leaves_nothing(
    remote: StoreUnderTest, keys: BackupKeys
) -> None:
    data = payload(remote, 0.5)  # the check comes at the end, whatever the size
    with pytest.raises(BackupCorrupted):
        store_backup(source(data, reported=len(data) + 1), remote.store, KEY, keys.current())
    assert not remote.store.exists(KEY)
    assert remote.holdings() == []
