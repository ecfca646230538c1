"""The `[certificates]` section: how long issued certificates live and when they are renewed."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CertificateSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    agent_valid_days: int = Field(
        825, ge=1, le=3650, description="Validity of an agent's server certificate when rotated."
    )
    renew_before_days: float = Field(
        30.0,
        gt=0,
        description="Agent and control-plane certificates expiring within this many days are "
        "re-issued by the worker's rotation duty (the engine keeps running).",
    )
    rotation_interval_seconds: float = Field(
        3600.0, ge=1.0, description="How often the worker checks the certificates' expiry."
    )
