"""`/v1.0/{project_id}/limits`: the project's absolute limits and what it uses."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request

from strongroom.api.auth import Context

router = APIRouter(prefix="/v1.0/{project_id}/limits")


@router.get("")
def list_limits(request: Request, ctx: Context) -> dict[str, Any]:
    absolute = asdict(request.app.state.catalog.limits(ctx))
    return {"limits": [{"verb": "ABSOLUTE", **absolute}]}
