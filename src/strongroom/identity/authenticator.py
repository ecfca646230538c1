"""From a token to a request context: the one call the API's auth dependency makes."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.config.settings import Settings
from strongroom.identity.context import RequestContext
from strongroom.identity.directory import Directory
from strongroom.identity.keystone import KeystoneValidator
from strongroom.identity.tokens import TokenClaims, TokenIssuer
from strongroom.store.database import Database


@dataclass(frozen=True)
class AuthenticatedToken:
    claims: TokenClaims
    context: RequestContext


class Authenticator:
    """Validates tokens, then re-reads the user and its roles so that changes apply at once."""

    def __init__(self, settings: Settings, db: Database, tokens: TokenIssuer | None = None) -> None:
        self.tokens = tokens or TokenIssuer.from_settings(settings)
        self.directory = Directory(db)
        self.keystone = (
            KeystoneValidator(settings.identity.keystone)
            if settings.identity.mode == "keystone"
            else None
        )

    def authenticate_token(self, token: str) -> AuthenticatedToken:
        """The token's claims and current context; `Unauthorized` if either is gone."""
        claims = self.tokens.validate(token)
        return AuthenticatedToken(
            claims, self.directory.context_for(claims.user_id, claims.project_id)
        )

    def context_for_token(self, token: str) -> RequestContext:
        if self.keystone is not None:
            return self.keystone.context_for_token(token)
        return self.authenticate_token(token).context
