"""Checking configuration parameter names and values before an engine renders or applies
them: the same rules for every engine, with the engine's own set of managed names."""

from __future__ import annotations

import math
import re
from collections.abc import Collection

from strongroom.contracts.agent import PARAMETER_NAME_PATTERN, ParameterValue
from strongroom.contracts.errors import BadRequest

NAME = re.compile(PARAMETER_NAME_PATTERN)
NAME_MAX_LENGTH = 64
VALUE_MAX_LENGTH = 1024


def check_name(name: str, managed: Collection[str]) -> None:
    """Refuse a name that is not `[a-z_][a-z0-9_]*` (64 at most) or that the agent manages."""
    if len(name) > NAME_MAX_LENGTH or not NAME.fullmatch(name):
        raise BadRequest(f"parameter name {name!r} must match {PARAMETER_NAME_PATTERN}")
    if name in managed:
        raise BadRequest(f"parameter {name!r} is managed by the service")


def check_value(name: str, value: ParameterValue) -> None:
    """Refuse values that cannot be written safely: non-finite numbers, control characters."""
    if isinstance(value, float) and not math.isfinite(value):
        raise BadRequest(f"parameter {name!r} must be a finite number")
    if isinstance(value, str) and (
        len(value) > VALUE_MAX_LENGTH or any(ord(c) < 32 or ord(c) == 127 for c in value)
    ):
        raise BadRequest(f"parameter {name!r} must be at most 1024 printable characters")


def check_values(values: dict[str, ParameterValue], managed: Collection[str]) -> None:
    """`check_name` and `check_value` for every entry."""
    for name, value in values.items():
        check_name(name, managed)
        check_value(name, value)


def check_names_to_read(names: list[str]) -> None:
    """Refuse a name asked for in a read of the effective configuration that is not a
    parameter name at all (managed names may be read)."""
    for name in names:
        if not NAME.fullmatch(name):
            raise BadRequest(f"parameter name {name!r} is not valid")
