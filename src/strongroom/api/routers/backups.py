"""`/v1.0/{project_id}/backups` and `/v1.0/{project_id}/instances/{id}/backups`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from strongroom.api.auth import Context
from strongroom.api.schemas.backups import BackupBody, render_backup
from strongroom.services.backups import BackupService

router = APIRouter(prefix="/v1.0/{project_id}")
ACCEPTED = 202


def _service(request: Request) -> BackupService:
    service: BackupService = request.app.state.backups
    return service


@router.post("/backups", status_code=ACCEPTED)
def create_backup(request: Request, ctx: Context, body: BackupBody) -> JSONResponse:
    view = _service(request).create(ctx, body.backup.to_request())
    return JSONResponse({"backup": render_backup(view)}, status_code=ACCEPTED)


@router.get("/backups")
def list_backups(
    request: Request,
    ctx: Context,
    instance_id: str | None = None,
    datastore: str | None = None,
    all_projects: bool = False,
) -> JSONResponse:
    views = _service(request).page(
        ctx, instance_id=instance_id, datastore=datastore, all_projects=all_projects
    )
    return JSONResponse({"backups": [render_backup(v) for v in views]})


@router.get("/backups/{backup_id}")
def show_backup(request: Request, ctx: Context, backup_id: str) -> JSONResponse:
    return JSONResponse({"backup": render_backup(_service(request).get(ctx, backup_id))})


@router.delete("/backups/{backup_id}", status_code=ACCEPTED)
def delete_backup(request: Request, ctx: Context, backup_id: str) -> Response:
    _service(request).delete(ctx, backup_id)
    return Response(status_code=ACCEPTED)


@router.get("/instances/{instance_id}/backups")
def instance_backups(request: Request, ctx: Context, instance_id: str) -> JSONResponse:
    views = _service(request).page(ctx, instance_id=instance_id)
    return JSONResponse({"backups": [render_backup(v) for v in views]})
