"""`/v1.0/{project_id}/mgmt/instances`: the admin's view of every project's instances."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from strongroom.api.auth import Context
from strongroom.api.schemas.mgmt import MgmtActionBody, render_mgmt_instance
from strongroom.services.mgmt import MgmtFilter, MgmtService

router = APIRouter(prefix="/v1.0/{project_id}/mgmt/instances")


def _service(request: Request) -> MgmtService:
    service: MgmtService = request.app.state.mgmt
    return service


@router.get("")
def list_instances(
    request: Request,
    ctx: Context,
    project_id: str,
    all_projects: bool = True,
    tenant_id: str | None = None,
    status: str | None = None,
    deleted: bool = False,
    limit: int = 1000,
) -> JSONResponse:
    """Every project's instances (or `tenant_id`'s, or the URL's with `all_projects=false`)."""
    scope = tenant_id if tenant_id is not None else (None if all_projects else project_id)
    where = MgmtFilter(project_id=scope, status=status, include_deleted=deleted, limit=limit)
    views = _service(request).list(ctx, where)
    return JSONResponse({"instances": [render_mgmt_instance(v, detail=False) for v in views]})


@router.get("/{instance_id}")
def show_instance(request: Request, ctx: Context, instance_id: str) -> JSONResponse:
    view = _service(request).get(ctx, instance_id)
    return JSONResponse({"instance": render_mgmt_instance(view, detail=True)})


@router.post("/{instance_id}/action", status_code=202)
def instance_action(
    request: Request, ctx: Context, instance_id: str, body: MgmtActionBody
) -> Response:
    if body.chosen() == "force_delete":
        _service(request).force_delete(ctx, instance_id)
    else:
        _service(request).reset_status(ctx, instance_id)
    return Response(status_code=202)
