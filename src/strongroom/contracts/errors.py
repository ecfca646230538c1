"""The one error catalog.

Every error a user can see is a `StrongroomError` subclass with a stable code, a message safe
for users, optional detail for operators, and whether retrying may help. The HTTP mapping
(fault name and status) lives here too, so the API has a single exception handler.
"""

from __future__ import annotations

from typing import ClassVar


class StrongroomError(Exception):
    """Base of every error the service reports on purpose."""

    code: ClassVar[str] = "internal"
    http_status: ClassVar[int] = 500
    fault_name: ClassVar[str] = "instanceFault"
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def to_fault(self) -> dict[str, dict[str, object]]:
        """The Trove error body: `{"badRequest": {"code": 400, "message": "..."}}`."""
        return {self.fault_name: {"code": self.http_status, "message": self.message}}


class BadRequest(StrongroomError):
    code = "bad_request"
    http_status = 400
    fault_name = "badRequest"


class Unauthorized(StrongroomError):
    code = "unauthorized"
    http_status = 401
    fault_name = "unauthorized"


class Forbidden(StrongroomError):
    code = "forbidden"
    http_status = 403
    fault_name = "forbidden"


class NotFound(StrongroomError):
    code = "not_found"
    http_status = 404
    fault_name = "itemNotFound"


class MethodNotAllowed(StrongroomError):
    code = "bad_method"
    http_status = 405
    fault_name = "badMethod"


class Conflict(StrongroomError):
    code = "conflict"
    http_status = 409
    fault_name = "conflictingRequest"


class OverLimit(StrongroomError):
    code = "over_limit"
    http_status = 413
    fault_name = "overLimit"


class UnsupportedMediaType(StrongroomError):
    code = "bad_media_type"
    http_status = 415
    fault_name = "badMediaType"


class NotImplementedYet(StrongroomError):
    """An operation a driver or datastore does not support (never passes silently)."""

    code = "not_implemented"
    http_status = 501
    fault_name = "notImplemented"


class ServiceUnavailable(StrongroomError):
    code = "service_unavailable"
    http_status = 503
    fault_name = "serviceUnavailable"
    retryable = True


class InfrastructureError(StrongroomError):
    """A driver failed; `retryable` says whether the same call may succeed later."""

    code = "infrastructure"

    def __init__(self, message: str, *, detail: str | None = None, retryable: bool = False):
        super().__init__(message, detail=detail)
        self.retryable = retryable  # type: ignore[misc]


class ConfigError(StrongroomError):
    """Invalid configuration; start-up stops with this message."""

    code = "config"
