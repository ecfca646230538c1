"""Each request gets an id (returned as `x-openstack-request-id`) that its log line carries."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

log = logging.getLogger("strongroom.api.requests")


def install_request_log(app: FastAPI) -> None:
    @app.middleware("http")
    async def _request_id(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request_id = f"req-{uuid.uuid4()}"
        request.state.request_id = request_id
        started = time.monotonic()
        response = await call_next(request)
        response.headers["x-openstack-request-id"] = request_id
        level = (
            logging.DEBUG
            if request.method == "GET" and response.status_code < 400
            else logging.INFO
        )
        log.log(
            level,
            "%s %s %s -> %d in %.1f ms",
            request_id,
            request.method,
            request.url.path,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return response
