"""Symmetric keys of the control plane, kept as 0600 files in the state dir.

Imports only `contracts`.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

__all__ = ["InvalidToken", "Keyring", "SecretBox"]


class Keyring:
    """Loads (creating on first use) the named keys under `<state_dir>/keys`."""

    def __init__(self, state_dir: Path) -> None:
        self.directory = state_dir / "keys"

    def fernet_key(self, name: str) -> bytes:
        path = self.directory / f"{name}.key"
        if not path.exists():
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(Fernet.generate_key())
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)  # first writer wins; a racing process reads the winner's key
            tmp.unlink(missing_ok=True)
        return path.read_bytes().strip()


class SecretBox:
    """Authenticated encryption of small secrets stored in the control DB (job inputs)."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def seal(self, plaintext: bytes) -> str:
        return self._fernet.encrypt(plaintext).decode()

    def open(self, sealed: str) -> bytes:
        return self._fernet.decrypt(sealed.encode())
