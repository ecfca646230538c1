"""`/v1.0/{project_id}/instances/{instance_id}/{databases,users,root}`.

Changes answer 202 (a job does them; reads show the intent at once); enabling root answers
200 with the password, the only time it is ever shown.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from strongroom.api.auth import Context
from strongroom.api.schemas.accounts import (
    DatabasesBody,
    GrantBody,
    RootBody,
    UsersBody,
    UserUpdateBody,
    paginate,
    render_database,
    render_user,
    split_account,
)
from strongroom.services.accounts import ROOT_USER, AccountService
from strongroom.services.users import UserChange, UserService, account

router = APIRouter(prefix="/v1.0/{project_id}/instances/{instance_id}")
ACCEPTED = 202


def _accounts(request: Request) -> AccountService:
    service: AccountService = request.app.state.accounts
    return service


def _users(request: Request) -> UserService:
    service: UserService = request.app.state.users
    return service


@router.get("/databases")
def list_databases(
    request: Request, ctx: Context, instance_id: str, limit: int = 1000, marker: str | None = None
) -> JSONResponse:
    views = _accounts(request).list_databases(ctx, instance_id)
    page = (request.url, limit, marker)
    return JSONResponse(paginate("databases", views, lambda d: d.name, render_database, page))


@router.post("/databases", status_code=ACCEPTED)
def create_databases(
    request: Request, ctx: Context, instance_id: str, body: DatabasesBody
) -> Response:
    _accounts(request).create_databases(ctx, instance_id, body.to_requests())
    return Response(status_code=ACCEPTED)


@router.delete("/databases/{name}", status_code=ACCEPTED)
def delete_database(request: Request, ctx: Context, instance_id: str, name: str) -> Response:
    _accounts(request).delete_database(ctx, instance_id, name)
    return Response(status_code=ACCEPTED)


@router.get("/users")
def list_users(
    request: Request, ctx: Context, instance_id: str, limit: int = 1000, marker: str | None = None
) -> JSONResponse:
    views = _users(request).list_users(ctx, instance_id)
    page = (request.url, limit, marker)
    body = paginate("users", views, lambda u: account(u.name, u.host), render_user, page)
    return JSONResponse(body)


@router.post("/users", status_code=ACCEPTED)
def create_users(request: Request, ctx: Context, instance_id: str, body: UsersBody) -> Response:
    _users(request).create_users(ctx, instance_id, body.to_requests())
    return Response(status_code=ACCEPTED)


@router.put("/users", status_code=ACCEPTED)
def change_passwords(request: Request, ctx: Context, instance_id: str, body: UsersBody) -> Response:
    _users(request).change_passwords(ctx, instance_id, body.to_requests())
    return Response(status_code=ACCEPTED)


@router.get("/users/{user}")
def show_user(request: Request, ctx: Context, instance_id: str, user: str) -> JSONResponse:
    view = _users(request).get_user(ctx, instance_id, *split_account(user))
    return JSONResponse({"user": render_user(view)})


@router.put("/users/{user}", status_code=ACCEPTED)
def update_user(
    request: Request, ctx: Context, instance_id: str, user: str, body: UserUpdateBody
) -> Response:
    fields = body.user
    change = UserChange(name=fields.name, host=fields.host, password=fields.password)
    _users(request).update_user(ctx, instance_id, *split_account(user), change)
    return Response(status_code=ACCEPTED)


@router.delete("/users/{user}", status_code=ACCEPTED)
def delete_user(request: Request, ctx: Context, instance_id: str, user: str) -> Response:
    _users(request).delete_user(ctx, instance_id, *split_account(user))
    return Response(status_code=ACCEPTED)


@router.get("/users/{user}/databases")
def user_databases(request: Request, ctx: Context, instance_id: str, user: str) -> JSONResponse:
    view = _users(request).get_user(ctx, instance_id, *split_account(user))
    return JSONResponse({"databases": [{"name": d} for d in view.databases]})


@router.put("/users/{user}/databases", status_code=ACCEPTED)
def grant_access(
    request: Request, ctx: Context, instance_id: str, user: str, body: GrantBody
) -> Response:
    name, host = split_account(user)
    databases = tuple(d.name for d in body.databases)
    _users(request).grant(ctx, instance_id, name, host, databases)
    return Response(status_code=ACCEPTED)


@router.delete("/users/{user}/databases/{database}", status_code=ACCEPTED)
def revoke_access(
    request: Request, ctx: Context, instance_id: str, user: str, database: str
) -> Response:
    name, host = split_account(user)
    _users(request).revoke(ctx, instance_id, name, host, database)
    return Response(status_code=ACCEPTED)


@router.get("/root")
def root_status(request: Request, ctx: Context, instance_id: str) -> JSONResponse:
    return JSONResponse({"rootEnabled": _accounts(request).root_enabled(ctx, instance_id)})


@router.post("/root")
def enable_root(
    request: Request, ctx: Context, instance_id: str, body: RootBody | None = None
) -> JSONResponse:
    given = body.password if body is not None else None
    password = _accounts(request).enable_root(ctx, instance_id, given)
    return JSONResponse({"user": {"name": ROOT_USER, "password": password}})


@router.delete("/root", status_code=204)
def disable_root(request: Request, ctx: Context, instance_id: str) -> Response:
    _accounts(request).disable_root(ctx, instance_id)
    return Response(status_code=204)
