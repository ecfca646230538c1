"""The console's login: a password login against the configured Keystone v3 endpoint (the
built-in identity or an external Keystone), made by the API server, never by the browser.

The password goes from the login form's POST body to the identity service's POST body and
nowhere else: it is not logged, stored, or put in a URL. What comes back is a token.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from strongroom.config.settings import Settings
from strongroom.contracts.errors import ServiceUnavailable, Unauthorized

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0
REFUSED = "The user name, password or project is not right."


@dataclass(frozen=True)
class LoginForm:
    user: str
    password: str
    project: str
    domain: str = "Default"

    def keystone_body(self) -> dict[str, Any]:
        domain = {"name": self.domain}
        user = {"name": self.user, "domain": domain, "password": self.password}
        return {
            "auth": {
                "identity": {"methods": ["password"], "password": {"user": user}},
                "scope": {"project": {"name": self.project, "domain": domain}},
            }
        }


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime

    def seconds_left(self) -> int:
        return max(0, int((self.expires_at - datetime.now(UTC)).total_seconds()))


def identity_url(settings: Settings) -> str:
    """The Keystone v3 endpoint tokens come from (ends in `/v3`)."""
    if settings.identity.mode == "keystone":
        return settings.identity.keystone.auth_url.rstrip("/")
    return settings.identity.base_url().rstrip("/") + "/v3"


def password_login(settings: Settings, form: LoginForm) -> IssuedToken:
    """A project-scoped token for the form's user; `Unauthorized` when the identity service
    refuses the credentials, `ServiceUnavailable` when it cannot be asked."""
    url = identity_url(settings) + "/auth/tokens"
    try:
        response = httpx.post(
            url, params={"nocatalog": "1"}, json=form.keystone_body(), timeout=TIMEOUT_SECONDS
        )
    except httpx.HTTPError as exc:
        log.warning("console login: identity at %s unreachable: %s", url, type(exc).__name__)
        raise ServiceUnavailable("The identity service is unavailable.") from exc
    if response.status_code in (400, 401, 403, 404):
        raise Unauthorized(REFUSED)
    token = response.headers.get("X-Subject-Token", "")
    if response.status_code != 201 or not token:
        log.warning("console login: identity at %s answered %d", url, response.status_code)
        raise ServiceUnavailable("The identity service could not log you in.")
    return IssuedToken(token, _expiry(response.json()))


def revoke(settings: Settings, token: str) -> None:
    """Ask the identity service to revoke the token (a token may revoke itself); best effort:
    the cookie is gone either way."""
    headers = {"X-Auth-Token": token, "X-Subject-Token": token}
    try:
        httpx.delete(
            identity_url(settings) + "/auth/tokens", headers=headers, timeout=TIMEOUT_SECONDS
        )
    except httpx.HTTPError as exc:
        log.info("console logout: revocation not confirmed: %s", type(exc).__name__)


def _expiry(document: dict[str, Any]) -> datetime:
    raw = str(document.get("token", {}).get("expires_at", ""))
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ServiceUnavailable("The identity service answered without an expiry.") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
