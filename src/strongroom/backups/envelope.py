"""The encrypted object format (version 1).

    header  = b"SRBK" | version (1) | key id length (1) | key id (utf-8)
              | wrap nonce (12) | wrapped data key (32 + 16 tag)
    record  = flag (1: 0 more, 1 final) | length (4, big-endian) | AES-256-GCM ciphertext
    object  = header | record* (the last one, and only it, is final)

Each backup has its own random data key, wrapped (AES-256-GCM, the header's first bytes as
associated data) by the master key the header names. Record `i` is sealed with the data key,
nonce = `i` (11 bytes, big-endian) | flag, and the whole header as associated data: a changed
byte, a swapped, dropped or reordered record, a flipped final flag, a header from another
backup, or a missing final record (truncation) all fail authentication.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from strongroom.backups.errors import BackupCorrupted, BackupKeyMismatch
from strongroom.backups.keys import MasterKey
from strongroom.contracts.framing import ByteReader, FrameError

MAGIC = b"SRBK"
VERSION = 1
RECORD_PLAINTEXT_MAX = 4 * 1024 * 1024
_TAG = 16
_RECORD = struct.Struct(">BI")
_NONCE = 12
_FINAL = 1


def _nonce(index: int, final: bool) -> bytes:
    return index.to_bytes(_NONCE - 1, "big") + bytes([_FINAL if final else 0])


def _key_prefix(key_id: str) -> bytes:
    raw = key_id.encode()
    if not 0 < len(raw) < 256:
        raise ValueError("a key id is 1-255 bytes")
    return MAGIC + bytes([VERSION, len(raw)]) + raw


def seal(chunks: Iterator[bytes], master: MasterKey) -> Iterator[bytes]:
    """The object for the concatenation of `chunks`: header, then one record per chunk
    (split above `RECORD_PLAINTEXT_MAX`), then an empty final record."""
    data_key = AESGCM.generate_key(bit_length=256)
    wrap_nonce = os.urandom(_NONCE)
    prefix = _key_prefix(master.key_id)
    header = prefix + wrap_nonce + AESGCM(master.secret).encrypt(wrap_nonce, data_key, prefix)
    yield header
    aead = AESGCM(data_key)
    index = 0
    for chunk in chunks:
        for start in range(0, len(chunk), RECORD_PLAINTEXT_MAX):
            piece = chunk[start : start + RECORD_PLAINTEXT_MAX]
            sealed = aead.encrypt(_nonce(index, False), piece, header)
            yield _RECORD.pack(0, len(sealed)) + sealed
            index += 1
    sealed = aead.encrypt(_nonce(index, True), b"", header)
    yield _RECORD.pack(_FINAL, len(sealed)) + sealed


def unseal(chunks: Iterator[bytes], keys: Callable[[str], MasterKey]) -> Iterator[bytes]:
    """The plaintext records of an object, each authenticated before it is yielded;
    `BackupKeyMismatch` if the data key does not unwrap, `BackupCorrupted` otherwise."""
    reader = ByteReader(chunks)
    try:
        header, aead = _open_header(reader, keys)
        index = 0
        while True:
            flag, size = _RECORD.unpack(reader.read_exact(_RECORD.size))
            if flag not in (0, _FINAL) or size > RECORD_PLAINTEXT_MAX + _TAG:
                raise BackupCorrupted("a backup record is malformed", detail=f"record {index}")
            sealed = reader.read_exact(size)
            try:
                plain = aead.decrypt(_nonce(index, flag == _FINAL), sealed, header)
            except InvalidTag:
                raise BackupCorrupted(
                    "a backup record failed authentication", detail=f"record {index}"
                ) from None
            if flag == _FINAL:
                break
            yield plain
            index += 1
        if not reader.at_end():
            raise BackupCorrupted("bytes follow the backup's final record")
    except FrameError as exc:
        raise BackupCorrupted("the backup is truncated", detail=str(exc)) from None


def _open_header(reader: ByteReader, keys: Callable[[str], MasterKey]) -> tuple[bytes, AESGCM]:
    fixed = reader.read_exact(len(MAGIC) + 2)
    if fixed[: len(MAGIC)] != MAGIC or fixed[len(MAGIC)] != VERSION:
        raise BackupCorrupted("not a Strongroom backup object (bad magic or version)")
    key_id_raw = reader.read_exact(fixed[-1])
    wrap_nonce = reader.read_exact(_NONCE)
    wrapped = reader.read_exact(32 + _TAG)
    try:
        key_id = key_id_raw.decode()
        master = keys(key_id)
    except (UnicodeDecodeError, LookupError, OSError) as exc:
        raise BackupKeyMismatch(
            "the backup's master key is not available", detail=type(exc).__name__
        ) from None
    prefix = fixed + key_id_raw
    try:
        data_key = AESGCM(master.secret).decrypt(wrap_nonce, wrapped, prefix)
    except (InvalidTag, ValueError):
        raise BackupKeyMismatch(
            "the backup's data key does not unwrap with its master key",
            detail=f"key id {key_id!r}",
        ) from None
    return prefix + wrap_nonce + wrapped, AESGCM(data_key)
