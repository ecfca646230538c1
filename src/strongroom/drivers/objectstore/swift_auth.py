"""Signing in to Swift: a token and the account's storage URL, from Keystone v3 (password,
project-scoped, endpoint from the catalog) or Swift's v1 auth (tempauth and its kin).

The token is renewed before it expires (and after a 401), so a backup longer than a token's
life keeps going. Credentials go only to the auth endpoint; nothing here logs them."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

import httpx

from strongroom.config.settings import SwiftStoreSettings
from strongroom.contracts.errors import InfrastructureError

RENEW_BEFORE_SECONDS = 300.0
V1_DEFAULT_LIFETIME = 3600.0


@dataclass(frozen=True)
class SwiftAccess:
    token: str
    storage_url: str
    expires_at: float  # time.monotonic() deadline


class SwiftAuth:
    """Hands out a valid `SwiftAccess`, signing in again when it is near its end."""

    def __init__(self, settings: SwiftStoreSettings, client: httpx.Client) -> None:
        self._settings = settings
        self._client = client
        self._access: SwiftAccess | None = None
        self._lock = threading.Lock()

    def access(self) -> SwiftAccess:
        with self._lock:
            now = time.monotonic()
            if self._access is None or self._access.expires_at - RENEW_BEFORE_SECONDS < now:
                self._access = self._sign_in()
            return self._access

    def forget(self, token: str) -> None:
        """Drop `token` (Swift answered 401 to it): the next `access` signs in again."""
        with self._lock:
            if self._access is not None and self._access.token == token:
                self._access = None

    def _sign_in(self) -> SwiftAccess:
        try:
            if self._settings.auth_version == "1":
                return self._sign_in_v1()
            return self._sign_in_v3()
        except httpx.HTTPError as exc:
            raise InfrastructureError(
                "the backup store's auth endpoint is unreachable",
                detail=f"{self._settings.auth_url}: {type(exc).__name__}: {exc}",
                retryable=True,
            ) from None

    def _sign_in_v1(self) -> SwiftAccess:
        s = self._settings
        headers = {"X-Auth-User": s.user, "X-Auth-Key": s.password.get_secret_value()}
        response = self._client.get(s.auth_url, headers=headers)
        _refused_unless_ok(response, s.auth_url)
        lifetime = float(response.headers.get("X-Auth-Token-Expires", V1_DEFAULT_LIFETIME))
        return SwiftAccess(
            token=response.headers["X-Auth-Token"],
            storage_url=response.headers["X-Storage-Url"].rstrip("/"),
            expires_at=time.monotonic() + lifetime,
        )

    def _sign_in_v3(self) -> SwiftAccess:
        s = self._settings
        base = s.auth_url.rstrip("/")
        url = f"{base}/auth/tokens" if base.endswith("/v3") else f"{base}/v3/auth/tokens"
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": s.user,
                            "domain": {"name": s.user_domain_name},
                            "password": s.password.get_secret_value(),
                        }
                    },
                },
                "scope": {
                    "project": {"name": s.project_name, "domain": {"name": s.project_domain_name}}
                },
            }
        }
        response = self._client.post(url, json=body)
        _refused_unless_ok(response, url)
        token = response.json()["token"]
        expires = datetime.fromisoformat(token["expires_at"].replace("Z", "+00:00"))
        lifetime = expires.timestamp() - time.time()
        return SwiftAccess(
            token=response.headers["X-Subject-Token"],
            storage_url=self._endpoint(token.get("catalog", [])),
            expires_at=time.monotonic() + lifetime,
        )

    def _endpoint(self, catalog: list[dict[str, object]]) -> str:
        s = self._settings
        for service in catalog:
            if service.get("type") != "object-store":
                continue
            for endpoint in service.get("endpoints", []):  # type: ignore[attr-defined]
                if endpoint.get("interface") != s.interface:
                    continue
                if s.region and s.region not in (endpoint.get("region"), endpoint.get("region_id")):
                    continue
                return str(endpoint["url"]).rstrip("/")
        raise InfrastructureError(
            "the backup store has no object-store endpoint in the Keystone catalog",
            detail=f"interface {s.interface!r}, region {s.region or '(any)'!r}",
        )


def _refused_unless_ok(response: httpx.Response, url: str) -> None:
    if response.status_code in (200, 201, 204):
        return
    raise InfrastructureError(
        "the backup store refused to sign in (check backups.swift credentials)",
        detail=f"{url}: HTTP {response.status_code}",
        retryable=response.status_code >= 500,
    )
