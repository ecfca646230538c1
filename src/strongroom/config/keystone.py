"""The `[identity.keystone]` section: the external Keystone that validates tokens when
`identity.mode = "keystone"`, the service user that asks it, and how roles map."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class KeystoneSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    auth_url: str = Field("", description="Keystone v3 endpoint, e.g. https://keystone/v3.")
    username: str = Field("strongroom", description="Service user that validates tokens.")
    password: SecretStr = Field(SecretStr(""), description="The service user's password.")
    project_name: str = Field("service", description="Project the service user scopes to.")
    user_domain_name: str = Field("Default", description="Domain of the service user.")
    project_domain_name: str = Field("Default", description="Domain of the service project.")
    cache_seconds: float = Field(
        60.0,
        ge=0,
        le=3600,
        description="How long a validated token is trusted without asking Keystone again "
        "(a revoked token is refused at most this long after its revocation).",
    )
    timeout_seconds: float = Field(5.0, gt=0, description="Timeout of each call to Keystone.")
    admin_roles: list[str] = Field(
        default_factory=lambda: ["admin"], description="Keystone roles that mean `admin` here."
    )
    member_roles: list[str] = Field(
        default_factory=lambda: ["member", "_member_"],
        description="Keystone roles that mean `member` here.",
    )
    reader_roles: list[str] = Field(
        default_factory=lambda: ["reader"], description="Keystone roles that mean `reader` here."
    )
