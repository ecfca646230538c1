"""`/v1.0/{project_id}/mgmt/quotas/{target}` (admin): a project's quotas, as Trove shows them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import StrictInt

from strongroom.api.auth import Context
from strongroom.api.schemas.common import Body
from strongroom.services.quotas import QuotaService

router = APIRouter(prefix="/v1.0/{project_id}/mgmt/quotas")


class QuotaUpdateBody(Body):
    quotas: dict[str, StrictInt]


def _service(request: Request) -> QuotaService:
    service: QuotaService = request.app.state.quotas
    return service


def _render(request: Request, ctx: Context, target: str) -> list[dict[str, Any]]:
    return [
        {"resource": q.resource, "in_use": q.in_use, "limit": q.limit, "reserved": q.reserved}
        for q in _service(request).show(ctx, target)
    ]


@router.get("/{target}")
def show_quotas(request: Request, ctx: Context, target: str) -> dict[str, Any]:
    return {"quotas": _render(request, ctx, target)}


@router.put("/{target}")
def update_quotas(
    request: Request, ctx: Context, target: str, body: QuotaUpdateBody
) -> dict[str, Any]:
    _service(request).update(ctx, target, dict(body.quotas))
    return {"quotas": {q["resource"]: q["limit"] for q in _render(request, ctx, target)}}
