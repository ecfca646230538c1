"""The auth dependency: a valid token scoped to the URL's project (or an admin's)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from strongroom.contracts.errors import Unauthorized
from strongroom.identity.context import RequestContext
from strongroom.services.scope import check_project


def request_context(
    request: Request,
    project_id: str,
    x_auth_token: Annotated[str | None, Header()] = None,
) -> RequestContext:
    if not x_auth_token:
        raise Unauthorized("This server could not verify that you are authorized (no token).")
    ctx = request.app.state.authenticator.context_for_token(x_auth_token)
    check_project(ctx, project_id)
    return ctx


Context = Annotated[RequestContext, Depends(request_context)]
