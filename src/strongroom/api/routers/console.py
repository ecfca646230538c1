"""`/console`: the web console's pages, its login and logout, and what its pages read.

Design (README "Console"): the login form posts to `POST /console/login`, which asks the
configured identity service for a token server-side and keeps it in an HttpOnly,
SameSite=Strict cookie scoped to `/console` (Secure over https). The pages' JavaScript never
holds the token; it reads the Trove API through the read-only gateway of
`strongroom.console.gateway`. The only POSTs are login and logout, and both require an
`Origin` of this site.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Cookie, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from strongroom.config.settings import Settings
from strongroom.console import STATIC_DIR as STATIC
from strongroom.console import login, pages
from strongroom.console.charts import available_charts
from strongroom.console.gateway import COOKIE, COOKIE_PATH, ConsoleGateway
from strongroom.contracts.errors import Forbidden, StrongroomError, Unauthorized
from strongroom.identity.context import RequestContext

router = APIRouter(prefix="/console", include_in_schema=False)
Token = Annotated[str | None, Cookie(alias=COOKIE)]


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str = Field(min_length=1, max_length=255)
    password: str = Field(min_length=1, max_length=4096)
    project: str = Field(min_length=1, max_length=255)
    domain: str = Field("Default", min_length=1, max_length=255)


def install(app: FastAPI) -> None:
    """The console's routes, its static files and its gateway on the API app."""
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
    app.add_middleware(ConsoleGateway)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _context(request: Request, token: str | None) -> RequestContext:
    if not token:
        raise Unauthorized("Log in to use the console.")
    context: RequestContext = request.app.state.authenticator.context_for_token(token)
    return context


def _page(request: Request, token: str | None, name: str) -> Response:
    """A page for a logged-in user; anyone else goes to the login page."""
    try:
        _context(request, token)
    except StrongroomError:
        return RedirectResponse("/console/login", status_code=303)
    return HTMLResponse(pages.render(name))


def _check_origin(request: Request) -> None:
    """The request must come from a page of this site (a form elsewhere cannot log anyone
    in or out)."""
    origin = request.headers.get("origin")
    own = {f"{request.url.scheme}://{request.headers.get('host', '')}"}
    public = urlsplit(_settings(request).api.public_url)
    if public.scheme and public.netloc:
        own.add(f"{public.scheme}://{public.netloc}")
    if origin not in own:
        raise Forbidden("Console logins and logouts must come from the console's own pages.")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or _settings(request).api.public_url.startswith("https:")


def _session(ctx: RequestContext) -> dict[str, Any]:
    return {
        "session": {
            "user_name": ctx.user_name,
            "project_id": ctx.project_id,
            "project_name": ctx.project_name,
            "roles": sorted(ctx.roles),
        }
    }


@router.get("")
def instances_page(request: Request, token: Token = None) -> Response:
    return _page(request, token, "instances")


@router.get("/instances/{instance_id}")
def instance_page(request: Request, instance_id: str, token: Token = None) -> Response:
    return _page(request, token, "instance")


@router.get("/login")
def login_page() -> HTMLResponse:
    return HTMLResponse(pages.render("login"))


@router.post("/login")
def log_in(request: Request, body: LoginBody) -> JSONResponse:
    """Trade the form's credentials for a token kept in the console's cookie."""
    _check_origin(request)
    form = login.LoginForm(body.user, body.password, body.project, body.domain)
    issued = login.password_login(_settings(request), form)
    ctx = _context(request, issued.token)  # the API must accept it (roles mapped)
    response = JSONResponse(_session(ctx))
    response.set_cookie(
        COOKIE,
        issued.token,
        max_age=issued.seconds_left(),
        path=COOKIE_PATH,
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/logout", status_code=204)
def log_out(request: Request, token: Token = None) -> Response:
    _check_origin(request)
    if token:
        login.revoke(_settings(request), token)
    response = Response(status_code=204)
    response.delete_cookie(
        COOKIE, path=COOKIE_PATH, secure=_secure(request), httponly=True, samesite="strict"
    )
    return response


@router.get("/api/session")
def session(request: Request, token: Token = None) -> JSONResponse:
    """Who is logged in and in which project (nothing secret: no token)."""
    return JSONResponse(_session(_context(request, token)))


@router.get("/api/charts")
def charts(request: Request, token: Token = None) -> JSONResponse:
    """The charts the instance page draws and the series each one reads."""
    _context(request, token)
    return JSONResponse({"charts": [c.document() for c in available_charts()]})
