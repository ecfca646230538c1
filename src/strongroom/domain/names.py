"""Rules for names users give to things."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def instance_name_problem(name: str, max_length: int) -> str | None:
    """Why `name` cannot name an instance, or None when it can."""
    if not name.strip():
        return "name must not be empty"
    if len(name) > max_length:
        return f"name is longer than {max_length} characters"
    if _CONTROL.search(name):
        return "name must not contain control characters"
    return None
