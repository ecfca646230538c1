"""Every error leaves the API in Trove's shape: `{"badRequest": {"code": 400, "message": ...}}`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from strongroom.contracts.errors import (
    BadRequest,
    MethodNotAllowed,
    NotFound,
    StrongroomError,
    Unauthorized,
    UnsupportedMediaType,
)

log = logging.getLogger(__name__)


def fault_response(error: StrongroomError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Keystone"} if isinstance(error, Unauthorized) else None
    return JSONResponse(error.to_fault(), status_code=error.http_status, headers=headers)


def describe_validation(errors: list[Any]) -> str:
    """One readable sentence per problem, naming the field."""
    parts = []
    for err in errors[:5]:
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        if err.get("type") == "json_invalid":
            return "The request body is not valid JSON."
        if err.get("type") == "model_attributes_type" and not loc:
            return "The request body must be a JSON object."
        where = ".".join(loc) or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "Invalid request: " + "; ".join(parts) + "."


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StrongroomError)
    async def _known(_request: Request, exc: StrongroomError) -> JSONResponse:
        if exc.http_status >= 500:
            log.error("request failed: %s (%s)", exc.message, exc.detail)
        return fault_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return fault_response(BadRequest(describe_validation(list(exc.errors()))))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        mapped: StrongroomError
        if exc.status_code == 404:
            mapped = NotFound("The resource could not be found.")
        elif exc.status_code == 405:
            mapped = MethodNotAllowed("The method is not allowed for this resource.")
        elif exc.status_code == 415:
            mapped = UnsupportedMediaType("The request body must be application/json.")
        else:
            mapped = BadRequest(str(exc.detail))
        return fault_response(mapped)

    @app.exception_handler(Exception)
    async def _bug(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(
            {"instanceFault": {"code": 500, "message": "An internal error occurred."}},
            status_code=500,
        )
