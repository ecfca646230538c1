"""The console's gateway to the Trove API, and the headers every console response carries.

The token lives in an HttpOnly cookie whose path is `/console`: the pages' JavaScript never
sees it, and the browser never sends it to `/v1.0`. The pages read the Trove API through
`/console/api/v1.0/…`: for a GET of one of the few read-only resources listed here, the
gateway takes the token from the cookie, puts it in `X-Auth-Token` and hands the request to
the unchanged Trove route (same scoping, same rendering, same errors). Nothing else under
`/console/api/v1.0/` is routed anywhere, so a cookie can never change anything.
"""

from __future__ import annotations

import re
from http.cookies import SimpleCookie

from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "strongroom_console"
COOKIE_PATH = "/console"
GATEWAY = "/console/api"
READABLE = re.compile(
    r"^/v1\.0/[^/]+/(?:flavors|instances(?:/detail)?"
    r"|instances/[^/]+(?:/events|/metrics|/top-queries)?)$"
)
"""The Trove paths (after `/console/api`) the console may read with its cookie."""

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
NO_STORE = (b"cache-control", b"no-store")
REVALIDATE = (b"cache-control", b"no-cache")


def cookie_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The console token from a request's `Cookie` headers."""
    for name, value in headers:
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header is no token
                continue
            if COOKIE in jar and jar[COOKIE].value:
                return jar[COOKIE].value
    return None


class ConsoleGateway:
    """ASGI middleware: everything under `/console` gets the security headers; readable
    Trove GETs under `/console/api/v1.0/` are rewritten to `/v1.0/…` with the cookie's
    token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path != COOKIE_PATH and not path.startswith(COOKIE_PATH + "/"):
            await self.app(scope, receive, send)
            return
        static = path.startswith(COOKIE_PATH + "/static/")
        if path.startswith(GATEWAY + "/v1.0/"):
            scope = to_trove(scope)
        await self.app(scope, receive, _with_headers(send, static))


def to_trove(scope: Scope) -> Scope:
    """The Trove request a console read stands for, or the scope unchanged (it then matches
    no route: 404) when it is not a GET of a readable path."""
    path = scope["path"][len(GATEWAY) :]
    if scope["method"] not in ("GET", "HEAD") or not READABLE.match(path):
        return scope
    headers = [(k, v) for k, v in scope["headers"] if k not in (b"x-auth-token", b"cookie")]
    token = cookie_token(scope["headers"])
    if token is not None:
        headers.append((b"x-auth-token", token.encode("latin-1")))
    return {**scope, "path": path, "raw_path": path.encode(), "headers": headers}


def _with_headers(send: Send, static: bool) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            names = {k.lower() for k, _ in message.get("headers", [])}
            extra = [h for h in HEADERS if h[0] not in names]
            extra.append(REVALIDATE if static else NO_STORE)
            headers = [h for h in message.get("headers", []) if h[0].lower() != b"cache-control"]
            message = {**message, "headers": headers + extra}
        await send(message)

    return wrapped
