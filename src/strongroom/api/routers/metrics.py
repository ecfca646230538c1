"""`GET /metrics`: Prometheus exposition of the control plane. It carries project ids but no
secrets; `[monitoring] scrape_token` makes it (and the per-instance expositions) answer only
a scraper presenting that bearer token."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from strongroom.contracts.errors import Unauthorized


def scraper(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    """Let the request through when no scrape token is configured, or when it presents it."""
    token = request.app.state.settings.monitoring.scrape_token
    if token is None:
        return
    given = ""
    if authorization and authorization.lower().startswith("bearer "):
        given = authorization[len("bearer ") :].strip()
    if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise Unauthorized("Metrics need the scrape token (Authorization: Bearer ...).")


router = APIRouter()


@router.get("/metrics", include_in_schema=False, dependencies=[Depends(scraper)])
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)
