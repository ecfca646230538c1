"""Master keys that wrap each backup's data key, from the control plane's keyring."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from strongroom.keyring import Keyring

DEFAULT_KEY_ID = "backup-master"
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class MasterKey:
    """A 256-bit key and the name it is stored under (written into each backup's header)."""

    key_id: str
    secret: bytes


class BackupKeys:
    """Master keys by name; `current` is the one new backups use."""

    def __init__(self, keyring: Keyring, current_id: str = DEFAULT_KEY_ID) -> None:
        self._keyring = keyring
        self._current_id = current_id

    def current(self) -> MasterKey:
        """The key for new backups, created on first use."""
        return self._load(self._current_id)

    def get(self, key_id: str) -> MasterKey:
        """An existing key (a key id read from a backup header is never created);
        `LookupError` for a malformed or unknown id."""
        if not _KEY_ID.match(key_id) or not (self._keyring.directory / f"{key_id}.key").exists():
            raise LookupError(f"no backup master key {key_id!r}")
        return self._load(key_id)

    def _load(self, key_id: str) -> MasterKey:
        secret = base64.urlsafe_b64decode(self._keyring.fernet_key(key_id))
        return MasterKey(key_id, secret)
