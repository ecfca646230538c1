"""The built-in identity as an ASGI app: the part of Keystone v3 that clients use to log in.

Serves version discovery (`/`, `/v3`), `POST /v3/auth/tokens` (password method, project
scope), and `GET`/`HEAD`/`DELETE /v3/auth/tokens`. Errors take Keystone's shape
`{"error": {"code", "title", "message"}}`.

Revocation: `DELETE /v3/auth/tokens` checks both tokens and answers 204, but revokes nothing;
tokens are stateless and end at their expiry (`identity.token_ttl_seconds`). Removing a user's
role or the user itself does take effect at once, because every use re-reads both.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import FastAPI, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from strongroom.config.settings import Settings
from strongroom.contracts.errors import (
    BadRequest,
    Forbidden,
    MethodNotAllowed,
    NotFound,
    StrongroomError,
    Unauthorized,
)
from strongroom.identity.authenticator import Authenticator
from strongroom.identity.context import RequestContext
from strongroom.identity.directory import DEFAULT_DOMAIN_ID, DEFAULT_DOMAIN_NAME, Directory
from strongroom.identity.directory import PasswordCredentials as Credentials
from strongroom.identity.tokens import TokenClaims
from strongroom.store.database import Database

log = logging.getLogger(__name__)

API_VERSION = "v3.14"
API_UPDATED = "2020-04-07T00:00:00Z"
MEDIA_TYPES = [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}]
INTERFACES = ("public", "internal", "admin")
_IDS = uuid.UUID("9f1b7c52-5a0e-4d7e-8c3b-2f6a1d0e4b71")
AuthToken = Annotated[str | None, Header(description="The caller's token.")]
SubjectToken = Annotated[str | None, Header(description="The token to validate.")]
_NO_TOKEN = "The request you have made requires authentication (no X-Auth-Token)."


def stable_id(kind: str, name: str) -> str:
    """A fixed uuid hex for things that have no row (roles, services, endpoints)."""
    return uuid.uuid5(_IDS, f"{kind}:{name}").hex


# --- request bodies -------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class DomainRef(_Body):
    id: str | None = None
    name: str | None = None

    def ref(self) -> str | None:
        return self.id or self.name


class UserRef(_Body):
    id: str | None = None
    name: str | None = None
    domain: DomainRef | None = None
    password: str


class PasswordMethod(_Body):
    user: UserRef


class IdentityPart(_Body):
    methods: list[str]
    password: PasswordMethod | None = None


class ProjectRef(_Body):
    id: str | None = None
    name: str | None = None
    domain: DomainRef | None = None


class Scope(_Body):
    model_config = ConfigDict(extra="allow")
    project: ProjectRef | None = None


class AuthPart(_Body):
    identity: IdentityPart
    scope: Scope | str | None = None


class AuthRequest(_Body):
    auth: AuthPart


def credentials(auth: AuthPart) -> Credentials:
    """The password login an auth request asks for; `Unauthorized` for anything else."""
    if "password" not in auth.identity.methods or auth.identity.password is None:
        raise Unauthorized("Only the password authentication method is supported.")
    user = auth.identity.password.user
    project = auth.scope.project if isinstance(auth.scope, Scope) else None
    if isinstance(auth.scope, Scope) and project is None and auth.scope.model_extra:
        raise Unauthorized("Only project scope is supported.")
    user_domain = user.domain.ref() if user.domain else None
    project_domain = project.domain.ref() if project and project.domain else None
    return Credentials(
        password=user.password,
        user_id=user.id,
        user_name=user.name,
        user_domain=user_domain,
        project_id=project.id if project else None,
        project_name=project.name if project else None,
        project_domain=project_domain,
    )


# --- response documents ---------------------------------------------------------------------


def version_document(settings: Settings) -> dict[str, Any]:
    return {
        "id": API_VERSION,
        "status": "stable",
        "updated": API_UPDATED,
        "links": [{"rel": "self", "href": settings.identity.base_url() + "/v3/"}],
        "media-types": MEDIA_TYPES,
    }


def _timestamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _endpoints(settings: Settings, service: str, url: str) -> list[dict[str, str]]:
    region = settings.identity.region
    return [
        {
            "id": stable_id("endpoint", f"{service}:{interface}"),
            "interface": interface,
            "region": region,
            "region_id": region,
            "url": url,
        }
        for interface in INTERFACES
    ]


def catalog(settings: Settings, project_id: str) -> list[dict[str, Any]]:
    """Identity and database (Trove) services, the `%(tenant_id)s` template expanded."""
    identity_url = settings.identity.base_url() + "/v3"
    database_url = f"{settings.api.base_url()}/v1.0/{project_id}"
    services = [("identity", "keystone", identity_url), ("database", "trove", database_url)]
    return [
        {
            "id": stable_id("service", kind),
            "type": kind,
            "name": name,
            "endpoints": _endpoints(settings, kind, url),
        }
        for kind, name, url in services
    ]


def token_document(
    settings: Settings, ctx: RequestContext, claims: TokenClaims, with_catalog: bool
) -> dict[str, Any]:
    domain = {"id": DEFAULT_DOMAIN_ID, "name": DEFAULT_DOMAIN_NAME}
    token: dict[str, Any] = {
        "methods": ["password"],
        "user": {
            "id": ctx.user_id,
            "name": ctx.user_name,
            "domain": domain,
            "password_expires_at": None,
        },
        "project": {"id": ctx.project_id, "name": ctx.project_name, "domain": domain},
        "is_domain": False,
        "roles": [{"id": stable_id("role", r), "name": r} for r in sorted(ctx.roles)],
        "audit_ids": [claims.audit_id],
        "issued_at": _timestamp(claims.issued_at),
        "expires_at": _timestamp(claims.expires_at),
    }
    if with_catalog:
        token["catalog"] = catalog(settings, ctx.project_id)
    return {"token": token}


# --- use cases behind the routes ------------------------------------------------------------


class TokenService:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.directory = Directory(db)
        self.authenticator = Authenticator(settings, db)

    def login(self, body: AuthRequest, with_catalog: bool) -> tuple[str, dict[str, Any]]:
        ctx = self.directory.authenticate(credentials(body.auth))
        issued = self.authenticator.tokens.issue(ctx.user_id, ctx.project_id)
        return issued.token, token_document(self.settings, ctx, issued.claims, with_catalog)

    def check(
        self, auth_token: str | None, subject_token: str | None, with_catalog: bool = True
    ) -> dict[str, Any]:
        """The subject token's document, if the caller may see it (admin or its owner)."""
        if not auth_token:
            raise Unauthorized(_NO_TOKEN)
        caller = self.authenticator.context_for_token(auth_token)
        if not subject_token:
            raise BadRequest("The X-Subject-Token header is required.")
        try:
            subject = self.authenticator.authenticate_token(subject_token)
        except Unauthorized as exc:
            raise NotFound("Could not find token.") from exc
        if not caller.is_admin and caller.user_id != subject.context.user_id:
            raise Forbidden("You are not authorized to validate this token.")
        return token_document(self.settings, subject.context, subject.claims, with_catalog)


# --- the app --------------------------------------------------------------------------------


def error_response(settings: Settings, error: StrongroomError) -> JSONResponse:
    status = error.http_status
    body = {"error": {"code": status, "title": HTTPStatus(status).phrase, "message": error.message}}
    headers = None
    if status == 401:
        headers = {"WWW-Authenticate": f'Keystone uri="{settings.identity.base_url()}"'}
    return JSONResponse(body, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    """Names the fields at fault; never echoes the input (it may hold a password)."""
    fields = [".".join(str(p) for p in e.get("loc", ()) if p != "body") for e in exc.errors()]
    return "Invalid request body: " + ", ".join(f or "body" for f in fields[:5]) + "."


def _install_error_handlers(app: FastAPI, settings: Settings) -> None:
    @app.exception_handler(StrongroomError)
    async def _known(_request: Request, exc: StrongroomError) -> JSONResponse:
        return error_response(settings, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(settings, BadRequest(_validation_message(exc)))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 405:
            return error_response(settings, MethodNotAllowed("The method is not allowed."))
        return error_response(settings, NotFound("The resource could not be found."))

    @app.exception_handler(Exception)
    async def _bug(_request: Request, _exc: Exception) -> JSONResponse:
        log.exception("identity request failed")
        return error_response(settings, StrongroomError("An unexpected error occurred."))


def _install_routes(app: FastAPI, settings: Settings, service: TokenService) -> None:
    @app.get("/")
    def versions() -> JSONResponse:
        document = {"versions": {"values": [version_document(settings)]}}
        return JSONResponse(document, status_code=300)

    @app.get("/v3")
    @app.get("/v3/")
    def version() -> dict[str, Any]:
        return {"version": version_document(settings)}

    @app.post("/v3/auth/tokens")
    def issue(body: AuthRequest, nocatalog: str | None = None) -> JSONResponse:
        token, document = service.login(body, with_catalog=nocatalog is None)
        return JSONResponse(document, status_code=201, headers={"X-Subject-Token": token})

    @app.get("/v3/auth/tokens")
    def validate(
        x_auth_token: AuthToken = None,
        x_subject_token: SubjectToken = None,
        nocatalog: str | None = None,
    ) -> JSONResponse:
        document = service.check(x_auth_token, x_subject_token, with_catalog=nocatalog is None)
        return JSONResponse(document, headers={"X-Subject-Token": x_subject_token or ""})

    @app.head("/v3/auth/tokens")
    def check(x_auth_token: AuthToken = None, x_subject_token: SubjectToken = None) -> Response:
        service.check(x_auth_token, x_subject_token, with_catalog=False)
        return Response(status_code=200)

    @app.delete("/v3/auth/tokens", status_code=204)
    def revoke(x_auth_token: AuthToken = None, x_subject_token: SubjectToken = None) -> Response:
        service.check(x_auth_token, x_subject_token, with_catalog=False)  # see the module docstring
        return Response(status_code=204)


def create_identity_app(settings: Settings, db: Database) -> FastAPI:
    app = FastAPI(title="Strongroom identity (Keystone v3 subset)", docs_url=None, redoc_url=None)
    service = TokenService(settings, db)
    app.state.authenticator = service.authenticator
    _install_error_handlers(app, settings)
    _install_routes(app, settings, service)
    return app
