"""Tokens validated by an external Keystone (`identity.mode = "keystone"`).

A service user (keystoneauth1 password session) asks `GET /v3/auth/tokens` about each token;
the answer is trusted for `cache_seconds` at most (never past the token's expiry), so a
revoked token is refused at most that long after its revocation. Keystone roles map to
admin/member/reader by configuration; a token with none of them is refused."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from strongroom.config.keystone import KeystoneSettings
from strongroom.contracts.errors import Forbidden, ServiceUnavailable, Unauthorized
from strongroom.identity.context import ADMIN, MEMBER, READER, RequestContext

log = logging.getLogger(__name__)

CACHE_MAX = 10_000


class KeystoneValidator:
    def __init__(self, settings: KeystoneSettings) -> None:
        self.settings = settings
        self.url = settings.auth_url.rstrip("/")
        auth = v3.Password(
            auth_url=self.url,
            username=settings.username,
            password=settings.password.get_secret_value(),
            project_name=settings.project_name,
            user_domain_name=settings.user_domain_name,
            project_domain_name=settings.project_domain_name,
        )
        self.session = ks_session.Session(auth=auth, timeout=settings.timeout_seconds)
        self._cache: dict[str, tuple[float, RequestContext]] = {}
        self._lock = threading.Lock()

    def context_for_token(self, token: str) -> RequestContext:
        key = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        body = self._validate(token)
        context = self._context(body)
        until = now + min(self.settings.cache_seconds, _seconds_left(body))
        with self._lock:
            if len(self._cache) >= CACHE_MAX:
                self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            self._cache[key] = (until, context)
        return context

    def _validate(self, token: str) -> dict[str, Any]:
        try:
            response = self.session.get(
                f"{self.url}/auth/tokens",
                headers={"X-Subject-Token": token},
                authenticated=True,
                raise_exc=False,
            )
        except ks_exceptions.ClientException as exc:
            log.warning("keystone at %s cannot validate tokens: %s", self.url, type(exc).__name__)
            raise ServiceUnavailable("The identity service is unavailable.") from exc
        if response.status_code == 200:
            body: dict[str, Any] = response.json()["token"]
            return body
        if response.status_code in (401, 404):
            raise Unauthorized("The token is invalid, expired or revoked.")
        log.warning("keystone at %s answered %d to a validation", self.url, response.status_code)
        raise ServiceUnavailable("The identity service could not validate the token.")

    def _context(self, token: dict[str, Any]) -> RequestContext:
        project = token.get("project")
        if not project:
            raise Unauthorized("The token is not scoped to a project.")
        names = {role["name"] for role in token.get("roles", [])}
        roles = frozenset(
            ours
            for ours, theirs in (
                (ADMIN, self.settings.admin_roles),
                (MEMBER, self.settings.member_roles),
                (READER, self.settings.reader_roles),
            )
            if names & set(theirs)
        )
        if not roles:
            raise Forbidden("The token holds no role of this service (admin, member, reader).")
        user = token["user"]
        return RequestContext(
            user_id=user["id"],
            user_name=user.get("name", ""),
            project_id=project["id"],
            project_name=project.get("name", ""),
            roles=roles,
        )


def _seconds_left(token: dict[str, Any]) -> float:
    expires = token.get("expires_at")
    if not expires:
        return 0.0
    when = datetime.fromisoformat(str(expires).replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
