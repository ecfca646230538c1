"""`/v1.0/{project_id}/instances/{instance_id}/log`: Trove's guest logs, and (a Strongroom
extension) `GET .../log/{name}` to download a log's published copy."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import StrictInt, StrictStr

from strongroom.api.auth import Context
from strongroom.api.schemas.common import Body
from strongroom.backups.published_logs import CONTAINER
from strongroom.contracts.errors import BadRequest
from strongroom.services.logs import LogService, LogView

router = APIRouter(prefix="/v1.0/{project_id}/instances/{instance_id}/log")


class LogActionBody(Body):
    """`{"name": ..., "enable"|"disable"|"publish"|"discard": 1}`; only a name shows it."""

    name: StrictStr
    enable: StrictInt | None = None
    disable: StrictInt | None = None
    publish: StrictInt | None = None
    discard: StrictInt | None = None

    def action(self) -> str | None:
        chosen = [a for a in ("enable", "disable", "publish", "discard") if getattr(self, a)]
        if len(chosen) > 1:
            raise BadRequest("Give at most one of enable, disable, publish and discard.")
        return chosen[0] if chosen else None


def _service(request: Request) -> LogService:
    service: LogService = request.app.state.logs
    return service


def render_log(view: LogView) -> dict[str, Any]:
    return {
        "name": view.name,
        "type": view.type,
        "status": "Enabled" if view.enabled else "Disabled",
        "published": view.published.published_bytes,
        "pending": 0,
        "container": CONTAINER if view.published.parts else None,
        "prefix": view.prefix if view.published.parts else None,
        "metafile": view.metafile if view.published.parts else None,
    }


@router.get("")
def list_logs(request: Request, ctx: Context, instance_id: str) -> JSONResponse:
    views = _service(request).list_logs(ctx, instance_id)
    return JSONResponse({"logs": [render_log(v) for v in views]})


@router.post("")
def log_action(
    request: Request, ctx: Context, instance_id: str, body: LogActionBody
) -> JSONResponse:
    view = _service(request).act(ctx, instance_id, body.name, body.action())
    return JSONResponse({"log": render_log(view)}, status_code=202)


@router.get("/{name}")
def download_log(request: Request, ctx: Context, instance_id: str, name: str) -> StreamingResponse:
    """The log's published copy as text (empty until `publish`); a Strongroom extension, since
    the client's `log save` reads Swift directly."""
    content = _service(request).published_content(ctx, instance_id, name)
    return StreamingResponse(content, media_type="text/plain; charset=utf-8")
