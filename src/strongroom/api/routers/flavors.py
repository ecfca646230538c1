"""`/v1.0/{project_id}/flavors`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from strongroom.api.auth import Context
from strongroom.api.schemas.common import links
from strongroom.store.models import Flavor

router = APIRouter(prefix="/v1.0/{project_id}/flavors")


def _render(request: Request, ctx_project: str, f: Flavor) -> dict[str, Any]:
    base = request.app.state.settings.api.base_url()
    return {
        "id": f.id,
        "str_id": f.id,
        "name": f.name,
        "ram": f.ram,
        "vcpus": f.vcpus,
        "disk": f.disk,
        "links": links(base, f"{ctx_project}/flavors/{f.id}"),
    }


@router.get("")
def list_flavors(request: Request, ctx: Context, project_id: str) -> dict[str, Any]:
    flavors = request.app.state.catalog.flavors()
    return {"flavors": [_render(request, project_id, f) for f in flavors]}


@router.get("/{flavor_id}")
def show_flavor(request: Request, ctx: Context, project_id: str, flavor_id: str) -> dict[str, Any]:
    return {"flavor": _render(request, project_id, request.app.state.catalog.flavor(flavor_id))}
