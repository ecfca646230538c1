from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from strongroom.config.settings import IdentitySettings, Settings
from strongroom.contracts.errors import Unauthorized
from strongroom.identity.tokens import TokenIssuer

pytestmark = pytest.mark.unit


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_token_round_trips_its_claims() -> None:
    clock = FakeClock()
    issuer = TokenIssuer(Fernet.generate_key(), ttl_seconds=60, clock=clock)
    issued = issuer.issue("u" * 32, "p" * 32)
    claims = issuer.validate(issued.token)
    assert claims == issued.claims
    assert (claims.user_id, claims.project_id) == ("u" * 32, "p" * 32)
    assert (claims.expires_at - claims.issued_at).total_seconds() == 60
    assert claims.issued_at.timestamp() == clock.now


def test_each_token_is_unique_and_opaque() -> None:
    issuer = TokenIssuer(Fernet.generate_key(), ttl_seconds=60, clock=FakeClock())
    first, second = issuer.issue("alice", "proj"), issuer.issue("alice", "proj")
    assert first.token != second.token
    assert first.claims.audit_id != second.claims.audit_id
    assert "alice" not in first.token and "proj" not in first.token


def test_a_token_expires_at_its_ttl() -> None:
    clock = FakeClock()
    issuer = TokenIssuer(Fernet.generate_key(), ttl_seconds=60, clock=clock)
    token = issuer.issue("u", "p").token
    clock.now += 59.999
    issuer.validate(token)
    clock.now += 0.001
    with pytest.raises(Unauthorized):
        issuer.validate(token)


def test_a_tampered_token_is_refused() -> None:
    issuer = TokenIssuer(Fernet.generate_key(), ttl_seconds=60, clock=FakeClock())
    token = issuer.issue("u", "p").token
    middle = len(token) // 2
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    for bad in (flipped, token[:-4], token + "x", "", "é" * 10, "x" * 5000):
        with pytest.raises(Unauthorized) as caught:
            issuer.validate(bad)
        assert token not in caught.value.message


def test_a_token_signed_with_another_key_is_refused() -> None:
    clock = FakeClock()
    other = TokenIssuer(Fernet.generate_key(), ttl_seconds=60, clock=clock)
    issuer = TokenIssuer(Fernet.generate_key(), ttl_seconds=60, clock=clock)
    with pytest.raises(Unauthorized):
        issuer.validate(other.issue("u", "p").token)


def test_the_key_lives_in_the_state_dir_and_survives_restarts(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, identity=IdentitySettings(token_ttl_seconds=120))
    token = TokenIssuer.from_settings(settings).issue("u", "p").token
    claims = TokenIssuer.from_settings(settings).validate(token)
    assert (claims.expires_at - claims.issued_at).total_seconds() == 120
    key_file = tmp_path / "keys" / "identity-tokens.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
