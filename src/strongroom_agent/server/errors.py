"""The one mapping from errors to agent HTTP responses (never echoing request input)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from strongroom.contracts.agent import ErrorDetail, ErrorResponse
from strongroom.contracts.errors import StrongroomError

log = logging.getLogger(__name__)


def install_error_handlers(app: FastAPI) -> None:
    """Register handlers for our errors, invalid bodies, and anything unexpected."""
    app.add_exception_handler(StrongroomError, _on_strongroom_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _on_invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_unexpected)


def error_response(status: int, detail: ErrorDetail) -> JSONResponse:
    """A JSON error body in the contract's shape."""
    return JSONResponse(ErrorResponse(error=detail).model_dump(mode="json"), status_code=status)


async def _on_strongroom_error(request: Request, exc: StrongroomError) -> JSONResponse:
    # Messages and details never carry secrets (statements with passwords report only the
    # server's error number); failures of the server or the machine are logged for operators.
    retryable = exc.retryable or exc.http_status == 409
    if exc.http_status >= 500:
        log.error("%s %s failed: %s; %s", request.method, request.url.path, exc.message, exc.detail)
    detail = ErrorDetail(code=exc.code, message=exc.message, detail=exc.detail, retryable=retryable)
    return error_response(exc.http_status, detail)


async def _on_invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    # Only locations and messages: pydantic's `input` could hold a password.
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg', 'invalid')}"
        for err in exc.errors()
    )
    return error_response(400, ErrorDetail(code="bad_request", message=problems))


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path)
    return error_response(500, ErrorDetail(code="internal", message="internal agent error"))
