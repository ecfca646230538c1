"""Keystone answers -> request contexts: role mapping, scoping, caching, errors (no sockets:
the keystoneauth1 session is replaced by a recorded answer)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from keystoneauth1 import exceptions as ks_exceptions
from pydantic import SecretStr

from strongroom.config.keystone import KeystoneSettings
from strongroom.contracts.errors import Forbidden, ServiceUnavailable, Unauthorized
from strongroom.identity.keystone import KeystoneValidator

pytestmark = pytest.mark.unit


class _Answer:
    def __init__(self, status: int, body: dict[str, Any] | None = None) -> None:
        self.status_code = status
        self._body = body or {}

    def json(self) -> dict[str, Any]:
        return self._body


class _Session:
    def __init__(self, answer: _Answer | Exception) -> None:
        self.answer = answer
        self.calls = 0

    def get(self, url: str, **kwargs: Any) -> _Answer:
        self.calls += 1
        assert url.endswith("/v3/auth/tokens") and kwargs["headers"]["X-Subject-Token"]
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def _token(roles: list[str], project: bool = True, minutes: int = 60) -> dict[str, Any]:
    expires = (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
    body: dict[str, Any] = {
        "user": {"id": "u1", "name": "alice"},
        "roles": [{"id": r, "name": r} for r in roles],
        "expires_at": expires,
    }
    if project:
        body["project"] = {"id": "p1", "name": "shop"}
    return {"token": body}


def _validator(
    answer: _Answer | Exception, cache: float = 60
) -> tuple[KeystoneValidator, _Session]:
    settings = KeystoneSettings(
        auth_url="http://keystone.invalid/v3", password=SecretStr("pw"), cache_seconds=cache
    )
    validator = KeystoneValidator(settings)
    session = _Session(answer)
    validator.session = session  # type: ignore[assignment]
    return validator, session


@pytest.mark.parametrize(
    ("roles", "ours"),
    [
        (["admin", "member", "reader"], {"admin", "member", "reader"}),
        (["member", "reader"], {"member", "reader"}),
        (["_member_"], {"member"}),
        (["reader"], {"reader"}),
    ],
)
def test_keystone_roles_map_to_ours(roles: list[str], ours: set[str]) -> None:
    validator, _ = _validator(_Answer(200, _token(roles)))
    ctx = validator.context_for_token("t")
    assert set(ctx.roles) == ours
    assert (ctx.user_id, ctx.project_id, ctx.project_name) == ("u1", "p1", "shop")


def test_no_role_of_ours_is_forbidden_and_unscoped_is_unauthorized() -> None:
    with pytest.raises(Forbidden):
        _validator(_Answer(200, _token(["observer"])))[0].context_for_token("t")
    with pytest.raises(Unauthorized):
        _validator(_Answer(200, _token(["member"], project=False)))[0].context_for_token("t")


def test_answers_are_cached_but_never_past_the_tokens_expiry() -> None:
    validator, session = _validator(_Answer(200, _token(["member"])))
    validator.context_for_token("t")
    validator.context_for_token("t")
    assert session.calls == 1
    validator.context_for_token("other")
    assert session.calls == 2
    expired, session = _validator(_Answer(200, _token(["member"], minutes=-1)))
    expired.context_for_token("t")
    expired.context_for_token("t")
    assert session.calls == 2, "an expired token's answer is not cached"


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (_Answer(404), Unauthorized),
        (_Answer(401), Unauthorized),
        (_Answer(500), ServiceUnavailable),
        (ks_exceptions.ConnectFailure("down"), ServiceUnavailable),
    ],
)
def test_failures_map_to_401_or_503(answer: _Answer | Exception, error: type[Exception]) -> None:
    with pytest.raises(error):
        _validator(answer)[0].context_for_token("t")
