"""The auth dependency: a valid token scoped to the URL's project (or an admin's), allowed by
the policy rule that governs the matched route (`services.policy`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from strongroom.contracts.errors import Unauthorized
from strongroom.identity.context import RequestContext
from strongroom.services.policy import Policy
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
    policy: Policy = request.app.state.policy
    route = request.scope.get("route")
    policy.enforce_operation(ctx, request.method, getattr(route, "path", request.url.path))
    return ctx


Context = Annotated[RequestContext, Depends(request_context)]
