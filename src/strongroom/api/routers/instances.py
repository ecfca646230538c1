"""`/v1.0/{project_id}/instances`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from strongroom.api.auth import Context
from strongroom.api.schemas.common import timestamp
from strongroom.api.schemas.instances import (
    ActionBody,
    CreateInstanceBody,
    UpdateInstanceBody,
    render_attached,
    render_instance,
)
from strongroom.contracts.errors import BadRequest
from strongroom.services.actions import ActionService
from strongroom.services.configurations import ConfigurationService
from strongroom.services.instances import InstanceService
from strongroom.services.views import InstanceView

router = APIRouter(prefix="/v1.0/{project_id}/instances")


def _service(request: Request) -> InstanceService:
    service: InstanceService = request.app.state.instances
    return service


def _configurations(request: Request) -> ConfigurationService:
    service: ConfigurationService = request.app.state.configurations
    return service


def _render(request: Request, view: InstanceView) -> dict[str, Any]:
    settings = request.app.state.settings
    return render_instance(view, settings.api.base_url(), settings.identity.region)


def _list(request: Request, ctx: Context, limit: int, marker: str | None) -> JSONResponse:
    views = _service(request).page(ctx, limit=limit + 1, marker=marker)
    page = views[:limit]
    body: dict[str, Any] = {"instances": [_render(request, v) for v in page]}
    if len(views) > limit and page:
        url = request.url.include_query_params(marker=page[-1].id, limit=limit)
        body["links"] = [{"rel": "next", "href": str(url)}]
    # The document is plain JSON already: skip FastAPI's encoder (most of the cost of a list).
    return JSONResponse(body)


@router.get("")
def list_instances(
    request: Request,
    ctx: Context,
    limit: int = 1000,
    marker: str | None = None,
    include_clustered: bool = False,
) -> JSONResponse:
    return _list(request, ctx, limit, marker)


@router.get("/detail")
def list_instances_detail(
    request: Request, ctx: Context, limit: int = 1000, marker: str | None = None
) -> JSONResponse:
    return _list(request, ctx, limit, marker)


@router.post("")
def create_instance(request: Request, ctx: Context, body: CreateInstanceBody) -> JSONResponse:
    fields = body.instance
    view = _service(request).create(ctx, fields.to_request(), configuration=fields.configuration)
    doc = _render(request, view)
    if fields.configuration is not None:
        attached = (fields.configuration, "")
        doc["configuration"] = render_attached(attached, request.app.state.settings.api.base_url())
    return JSONResponse({"instance": doc})


@router.get("/{instance_id}")
def show_instance(request: Request, ctx: Context, instance_id: str) -> JSONResponse:
    doc = _render(request, _service(request).get(ctx, instance_id))
    attached = _configurations(request).of_instance(ctx, instance_id)
    if attached is not None:
        settings = request.app.state.settings
        doc["configuration"] = render_attached(attached, settings.api.base_url())
    return JSONResponse({"instance": doc})


@router.get("/{instance_id}/events")
def instance_events(request: Request, ctx: Context, instance_id: str) -> JSONResponse:
    """Strongroom extension: what happened to the instance, oldest first."""
    events = _service(request).events(ctx, instance_id)
    return JSONResponse(
        {
            "events": [
                {"id": e.id, "kind": e.kind, "message": e.message, "created": timestamp(e.created)}
                for e in events
            ]
        }
    )


@router.put("/{instance_id}", status_code=202)
@router.patch("/{instance_id}", status_code=202)
def update_instance(
    request: Request, ctx: Context, instance_id: str, body: UpdateInstanceBody
) -> Response:
    fields, service = body.instance, _service(request)
    protection = fields.deletion_protection  # Strongroom extension
    if (fields.name, fields.access, protection) == (None, None, None) and not fields.configures:
        raise BadRequest("Nothing to update: give `name`, `access` or `configuration`.")
    if fields.configures:  # first: a refused attach leaves the other fields unchanged too
        _configurations(request).attach(ctx, instance_id, fields.configuration_id())
    if protection is not None:
        service.set_deletion_protection(ctx, instance_id, protection)
    if fields.name is not None:
        service.rename(ctx, instance_id, fields.name)
    if fields.access is not None:
        access = fields.access
        service.update_access(ctx, instance_id, access.is_public, tuple(access.allowed_cidrs))
    return Response(status_code=202)


@router.post("/{instance_id}/action", status_code=202)
def instance_action(request: Request, ctx: Context, instance_id: str, body: ActionBody) -> Response:
    actions: ActionService = request.app.state.actions
    policy = request.app.state.policy
    if body.chosen() == "reset_status":  # Trove's admin action: ERROR now, jobs cancelled
        policy.enforce(ctx, "instance:reset_status")
        request.app.state.mgmt.reset_to_error(ctx, instance_id)
    elif body.chosen() == "restart":
        policy.enforce(ctx, "instance:restart")
        actions.restart(ctx, instance_id)
    elif body.resize is not None and body.resize.volume is not None:
        policy.enforce(ctx, "instance:resize_volume")
        actions.resize_volume(ctx, instance_id, body.resize.volume.size)
    elif body.resize is not None:
        policy.enforce(ctx, "instance:resize_flavor")
        actions.resize_flavor(ctx, instance_id, str(body.resize.flavorRef))
    return Response(status_code=202)


@router.delete("/{instance_id}", status_code=202)
def delete_instance(
    request: Request, ctx: Context, instance_id: str, final_backup: bool = False
) -> Response:
    """`?final_backup=true` (Strongroom extension): the delete happens once a final backup
    of the instance is COMPLETED; if the backup fails, the instance is kept."""
    _service(request).delete(ctx, instance_id, final_backup=final_backup)
    return Response(status_code=202)
