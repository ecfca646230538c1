"""Shapes shared by every resource: timestamps and links."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class Body(BaseModel):
    """Request bodies: unknown keys are ignored (as Trove does), types are checked."""

    model_config = ConfigDict(extra="ignore")


def timestamp(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S") if value else None


def links(base_url: str, path: str) -> list[dict[str, Any]]:
    """Trove's self and bookmark links of a resource at `path` (no leading slash)."""
    return [
        {"href": f"{base_url}/v1.0/{path}", "rel": "self"},
        {"href": f"{base_url}/{path}", "rel": "bookmark"},
    ]
