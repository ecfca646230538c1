"""What an object key may look like, the same for every store."""

from __future__ import annotations

import re

from strongroom.contracts.errors import BadRequest

_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$")


def checked_key(key: str) -> str:
    """`key` if every `/`-separated segment is a safe name (no `..`, no empty segment)."""
    segments = key.split("/")
    if not key or len(key) > 1024 or not all(_SEGMENT.match(part) for part in segments):
        raise BadRequest(f"invalid object key {key!r}")
    return key
