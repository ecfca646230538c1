"""`/v1.0/{project_id}/configurations`, datastore parameters, and an instance's configuration."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from strongroom.api.auth import Context
from strongroom.api.schemas.configurations import (
    ConfigurationBody,
    render_configuration,
    render_parameter,
)
from strongroom.services.configurations import (
    ConfigurationService,
    find_datastore,
    find_version_by_id,
    parameter,
    parameters,
)

router = APIRouter(prefix="/v1.0/{project_id}")
ACCEPTED = 202


def _service(request: Request) -> ConfigurationService:
    service: ConfigurationService = request.app.state.configurations
    return service


@router.get("/configurations")
def list_configurations(request: Request, ctx: Context) -> JSONResponse:
    views = _service(request).page(ctx)
    return JSONResponse({"configurations": [render_configuration(v) for v in views]})


@router.post("/configurations")
def create_configuration(request: Request, ctx: Context, body: ConfigurationBody) -> JSONResponse:
    view = _service(request).create(ctx, body.configuration.to_request())
    return JSONResponse({"configuration": render_configuration(view)})


@router.get("/configurations/{configuration_id}")
def show_configuration(request: Request, ctx: Context, configuration_id: str) -> JSONResponse:
    view = _service(request).get(ctx, configuration_id)
    return JSONResponse({"configuration": render_configuration(view)})


@router.put("/configurations/{configuration_id}", status_code=ACCEPTED)
def replace_configuration(
    request: Request, ctx: Context, configuration_id: str, body: ConfigurationBody
) -> Response:
    change = body.configuration.to_change()
    _service(request).update(ctx, configuration_id, change, merge=False)
    return Response(status_code=ACCEPTED)


@router.patch("/configurations/{configuration_id}", status_code=ACCEPTED)
def merge_configuration(
    request: Request, ctx: Context, configuration_id: str, body: ConfigurationBody
) -> Response:
    change = body.configuration.to_change()
    _service(request).update(ctx, configuration_id, change, merge=True)
    return Response(status_code=ACCEPTED)


@router.delete("/configurations/{configuration_id}", status_code=ACCEPTED)
def delete_configuration(request: Request, ctx: Context, configuration_id: str) -> Response:
    _service(request).delete(ctx, configuration_id)
    return Response(status_code=ACCEPTED)


@router.get("/configurations/{configuration_id}/instances")
def configuration_instances(request: Request, ctx: Context, configuration_id: str) -> JSONResponse:
    found = _service(request).instances_of(ctx, configuration_id)
    return JSONResponse({"instances": [{"id": i, "name": n} for i, n in found]})


@router.get("/instances/{instance_id}/configuration")
def instance_configuration(request: Request, ctx: Context, instance_id: str) -> JSONResponse:
    values = _service(request).effective(ctx, instance_id)
    return JSONResponse({"instance": {"configuration": values}})


@router.get("/datastores/versions/{version_id}/parameters")
def parameters_by_version(ctx: Context, version_id: str) -> JSONResponse:
    store, version = find_version_by_id(version_id)
    docs = [render_parameter(p, version.id) for p in parameters(store)]
    return JSONResponse({"configuration-parameters": docs})


@router.get("/datastores/versions/{version_id}/parameters/{name}")
def parameter_by_version(ctx: Context, version_id: str, name: str) -> JSONResponse:
    store, version = find_version_by_id(version_id)
    return JSONResponse(render_parameter(parameter(store, name), version.id))


@router.get("/datastores/{datastore}/versions/{version}/parameters")
def list_parameters(ctx: Context, datastore: str, version: str) -> JSONResponse:
    store, found = find_datastore(datastore, version)
    docs = [render_parameter(p, found.id) for p in parameters(store)]
    return JSONResponse({"configuration-parameters": docs})


@router.get("/datastores/{datastore}/versions/{version}/parameters/{name}")
def show_parameter(ctx: Context, datastore: str, version: str, name: str) -> JSONResponse:
    store, found = find_datastore(datastore, version)
    return JSONResponse(render_parameter(parameter(store, name), found.id))
