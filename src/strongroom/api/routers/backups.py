"""`/v1.0/{project_id}/backups`, `/v1.0/{project_id}/instances/{id}/backups`, and the
Strongroom extension `/v1.0/{project_id}/instances/{id}/backup-schedule`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from strongroom.api.auth import Context
from strongroom.api.schemas.backups import (
    BackupBody,
    ScheduleBody,
    render_backup,
    render_schedule,
)
from strongroom.services.backup_schedules import BackupScheduleService
from strongroom.services.backups import BackupService

router = APIRouter(prefix="/v1.0/{project_id}")
ACCEPTED = 202


def _service(request: Request) -> BackupService:
    service: BackupService = request.app.state.backups
    return service


@router.post("/backups", status_code=ACCEPTED)
def create_backup(request: Request, ctx: Context, body: BackupBody) -> JSONResponse:
    if body.backup.restore_from is not None:  # registering a stored object: admins only
        request.app.state.policy.enforce(ctx, "backup:restore_from")
        view = _service(request).register(ctx, body.backup.to_registration())
    else:
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
    views = _service(request).page(ctx, instance_id=instance_id, of_live_instance=True)
    return JSONResponse({"backups": [render_backup(v) for v in views]})


def _schedules(request: Request) -> BackupScheduleService:
    service: BackupScheduleService = request.app.state.backup_schedules
    return service


@router.get("/instances/{instance_id}/backup-schedule")
def show_schedule(request: Request, ctx: Context, instance_id: str) -> JSONResponse:
    view = _schedules(request).get(ctx, instance_id)
    return JSONResponse({"backup_schedule": render_schedule(view)})


@router.put("/instances/{instance_id}/backup-schedule")
def put_schedule(
    request: Request, ctx: Context, instance_id: str, body: ScheduleBody
) -> JSONResponse:
    view = _schedules(request).put(ctx, instance_id, body.backup_schedule.to_request())
    return JSONResponse({"backup_schedule": render_schedule(view)})


@router.delete("/instances/{instance_id}/backup-schedule", status_code=204)
def delete_schedule(request: Request, ctx: Context, instance_id: str) -> Response:
    _schedules(request).delete(ctx, instance_id)
    return Response(status_code=204)
