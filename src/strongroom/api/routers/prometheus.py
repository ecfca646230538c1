"""Prometheus per instance: `GET /v1.0/{project_id}/mgmt/prometheus-targets` (HTTP service
discovery, admins only) and `GET /metrics/instances/{id}` (one instance's latest sample,
guarded like `/metrics` by the optional scrape token)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from strongroom.api.auth import request_context
from strongroom.api.routers.metrics import scraper
from strongroom.identity.context import RequestContext
from strongroom.monitoring.scrape_targets import ScrapeTargetService, http_sd_groups

router = APIRouter()


def _token_context(
    request: Request,
    project_id: str,
    x_auth_token: Annotated[str | None, Header()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> RequestContext:
    """The usual `X-Auth-Token`, or `Authorization: Bearer <token>`: what Prometheus's
    `http_sd_configs` can send (`authorization.credentials_file`)."""
    token = x_auth_token
    if not token and authorization and authorization.lower().startswith("bearer "):
        token = authorization[len("bearer ") :].strip()
    return request_context(request, project_id, token)


def _service(request: Request) -> ScrapeTargetService:
    service: ScrapeTargetService = request.app.state.scrape_targets
    return service


@router.get("/v1.0/{project_id}/mgmt/prometheus-targets")
def prometheus_targets(
    request: Request, ctx: Annotated[RequestContext, Depends(_token_context)]
) -> JSONResponse:
    """Prometheus HTTP service discovery: one target group per live instance, pointing at
    this API's `/metrics/instances/{id}` with labels instance_id, project_id, datastore
    (at `[api] public_url` when set, else at the address the request came to)."""
    targets = _service(request).targets(ctx)
    public_url: str = request.app.state.settings.api.public_url
    base = public_url or f"{request.url.scheme}://{request.url.netloc}"
    groups: list[dict[str, Any]] = http_sd_groups(targets, base)
    return JSONResponse(groups)


@router.get(
    "/metrics/instances/{instance_id}", include_in_schema=False, dependencies=[Depends(scraper)]
)
def instance_metrics(request: Request, instance_id: str) -> Response:
    body = _service(request).exposition(instance_id)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
