"""Opaque signed tokens: Fernet (encrypted and authenticated) over a compact JSON payload.

The payload holds the user id, the project id, issued-at and expiry (microseconds since the
epoch) and a random id that doubles as the Keystone audit id. Nothing is stored server-side:
a token is valid until it expires (there is no revocation list). Whatever the token says about
roles is not trusted; the authenticator re-reads them from the control DB on every request.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from strongroom.config.settings import Settings
from strongroom.contracts.errors import Unauthorized
from strongroom.keyring import Keyring

KEY_NAME = "identity-tokens"
_PAYLOAD_VERSION = 1
_MAX_TOKEN_LENGTH = 1024
_INVALID = "The request you have made requires authentication (invalid or expired token)."

Clock = Callable[[], float]


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    project_id: str
    issued_at: datetime
    expires_at: datetime
    audit_id: str


@dataclass(frozen=True)
class IssuedToken:
    token: str
    claims: TokenClaims


def _micros(at: datetime) -> int:
    return round(at.timestamp() * 1_000_000)


def _from_micros(micros: int) -> datetime:
    return datetime.fromtimestamp(micros / 1_000_000, UTC)


def _encode(claims: TokenClaims) -> bytes:
    payload = {
        "v": _PAYLOAD_VERSION,
        "u": claims.user_id,
        "p": claims.project_id,
        "i": _micros(claims.issued_at),
        "e": _micros(claims.expires_at),
        "a": claims.audit_id,
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def _decode(data: bytes) -> TokenClaims:
    payload: dict[str, Any] = json.loads(data)
    if payload.get("v") != _PAYLOAD_VERSION:
        raise ValueError("unknown token payload version")
    return TokenClaims(
        user_id=str(payload["u"]),
        project_id=str(payload["p"]),
        issued_at=_from_micros(int(payload["i"])),
        expires_at=_from_micros(int(payload["e"])),
        audit_id=str(payload["a"]),
    )


class TokenIssuer:
    """Issues and validates tokens with one Fernet key; `clock` is injectable for tests."""

    def __init__(self, key: bytes, ttl_seconds: int, clock: Clock = time.time) -> None:
        self._fernet = Fernet(key)
        self._ttl_micros = ttl_seconds * 1_000_000
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock = time.time) -> TokenIssuer:
        key = Keyring(settings.state_dir).fernet_key(KEY_NAME)
        return cls(key, settings.identity.token_ttl_seconds, clock)

    def _now_micros(self) -> int:
        return round(self._clock() * 1_000_000)

    def issue(self, user_id: str, project_id: str) -> IssuedToken:
        now = self._now_micros()
        claims = TokenClaims(
            user_id=user_id,
            project_id=project_id,
            issued_at=_from_micros(now),
            expires_at=_from_micros(now + self._ttl_micros),
            audit_id=base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("="),
        )
        token = self._fernet.encrypt_at_time(_encode(claims), now // 1_000_000).decode()
        return IssuedToken(token=token, claims=claims)

    def validate(self, token: str) -> TokenClaims:
        """The token's claims; `Unauthorized` when it is malformed, forged or expired."""
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            raise Unauthorized(_INVALID)
        try:
            claims = _decode(self._fernet.decrypt(token.encode("ascii")))
        except (InvalidToken, ValueError, KeyError, TypeError, UnicodeError) as exc:
            raise Unauthorized(_INVALID) from exc
        if _micros(claims.expires_at) <= self._now_micros():
            raise Unauthorized(_INVALID)
        return claims
