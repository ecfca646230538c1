"""Password hashing with scrypt; the stored string carries its own parameters and salt.

Format: `scrypt$<log2 n>$<r>$<p>$<salt b64>$<hash b64>`. Verification is constant-time and
never raises on a malformed stored value (it answers False).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCHEME = "scrypt"
LOG2_N = 14
BLOCK_SIZE = 8
PARALLELISM = 1
SALT_BYTES = 16
HASH_BYTES = 32
_MAXMEM = 64 * 1024 * 1024
_MAX_LOG2_N = 20


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=2**log2_n,
        r=r,
        p=p,
        maxmem=_MAXMEM,
        dklen=HASH_BYTES,
    )


def hash_password(password: str) -> str:
    """A new salted hash of `password`, parameters included."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _derive(password, salt, LOG2_N, BLOCK_SIZE, PARALLELISM)
    return f"{SCHEME}${LOG2_N}${BLOCK_SIZE}${PARALLELISM}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches `stored`, compared in constant time."""
    try:
        scheme, log2_n, r, p, salt, digest = stored.split("$")
        if scheme != SCHEME or not 1 <= int(log2_n) <= _MAX_LOG2_N:
            return False
        expected = base64.b64decode(digest, validate=True)
        actual = _derive(
            password, base64.b64decode(salt, validate=True), int(log2_n), int(r), int(p)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def burn_verification(password: str) -> None:
    """Spend the time of one verification, so an unknown user answers as slowly as a known one."""
    verify_password(password, _DUMMY_HASH)
