"""Load every `*/description.toml` beside this module into typed descriptions."""

from __future__ import annotations

import math
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

_HERE = Path(__file__).parent


class DatastoreVersion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: str
    version_number: str
    active: bool = True


class NameRules(BaseModel):
    """What the engine accepts as database and user names, and what is reserved for us."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    pattern: str = r"^[A-Za-z0-9_][A-Za-z0-9_$-]*$"
    max_database_length: int = 64
    max_user_length: int = 32
    reserved_users: tuple[str, ...] = ()
    reserved_databases: tuple[str, ...] = ()
    min_password_length: int = 8
    max_password_length: int = 256
    host_pattern: str = r"^[A-Za-z0-9._%:-]{1,255}$"
    host_rule: str = "use letters, digits, `.`, `_`, `%`, `:` and `-` (at most 255)"
    """What `host_pattern` asks for, in words (the 400 a bad host gets)."""

    def database_problem(self, name: str) -> str | None:
        return self._problem(name, self.max_database_length, self.reserved_databases)

    def user_problem(self, name: str) -> str | None:
        return self._problem(name, self.max_user_length, self.reserved_users)

    def host_problem(self, host: str) -> str | None:
        """What is wrong with a user's host pattern (`%`, an address, a name), or None."""
        if not re.fullmatch(self.host_pattern, host):
            return self.host_rule
        return None

    def password_problem(self, user: str, password: str) -> str | None:
        """What makes a password unacceptable (too short or long, the user's name), or None."""
        if len(password) < self.min_password_length:
            return f"it must have at least {self.min_password_length} characters"
        if len(password) > self.max_password_length or "\x00" in password:
            return f"it must have at most {self.max_password_length} characters, without NUL"
        if password.lower() == user.lower():
            return "it must not be the user's name"
        return None

    def _problem(self, name: str, longest: int, reserved: tuple[str, ...]) -> str | None:
        if not re.fullmatch(self.pattern, name):
            return "use letters, digits, `_`, `$` and `-`, not starting with `$` or `-`"
        if len(name) > longest:
            return f"longer than {longest} characters"
        if name.lower() in reserved:
            return "the name is reserved"
        return None


ParameterValue = bool | int | float | str


class ParameterRule(BaseModel):
    """A configuration parameter users may set: its type, bounds, and whether the engine
    applies it live (`dynamic`) or only at the next restart."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    type: Literal["int", "float", "string", "boolean"]
    min: float | None = None
    max: float | None = None
    dynamic: bool = False
    max_length: int = 1024

    @property
    def restart_required(self) -> bool:
        return not self.dynamic

    def coerce(self, value: object) -> ParameterValue:
        """The value in this parameter's type, or ValueError saying what is wrong."""
        if self.type == "boolean":
            if isinstance(value, bool) or value in (0, 1):
                return bool(value)
            raise ValueError("must be true or false")
        if self.type == "string":
            if not isinstance(value, str) or len(value) > self.max_length:
                raise ValueError(f"must be a string of at most {self.max_length} characters")
            if any(ord(c) < 32 or ord(c) == 127 for c in value):
                raise ValueError("must not contain control characters")
            return value
        return self._number(value)

    def _number(self, value: object) -> int | float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be {'an integer' if self.type == 'int' else 'a number'}")
        if self.type == "int" and not float(value).is_integer():
            raise ValueError("must be an integer")
        number: int | float = int(value) if self.type == "int" else float(value)
        if not math.isfinite(number):
            raise ValueError("must be a finite number")
        if self.min is not None and number < self.min:
            raise ValueError(f"must be at least {_plain(self.min)}")
        if self.max is not None and number > self.max:
            raise ValueError(f"must be at most {_plain(self.max)}")
        return number


class LogRule(BaseModel):
    """An engine log: `SYS` logs are always on, `USER` logs may be switched on and off."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    type: Literal["SYS", "USER"]


def _plain(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


class DatastoreDescription(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: str
    port: int
    default_version: str
    versions: tuple[DatastoreVersion, ...]
    capabilities: tuple[str, ...] = ()
    names: NameRules = NameRules()
    parameters: tuple[ParameterRule, ...] = ()
    logs: tuple[LogRule, ...] = ()

    def parameter(self, name: str) -> ParameterRule | None:
        return next((p for p in self.parameters if p.name == name), None)

    def check_values(self, values: dict[str, object]) -> dict[str, ParameterValue]:
        """Values in their parameters' types; ValueError naming the first bad parameter."""
        checked: dict[str, ParameterValue] = {}
        for name, value in values.items():
            rule = self.parameter(name)
            if rule is None:
                raise ValueError(f"{name!r} is not a configuration parameter of {self.name}")
            try:
                checked[name] = rule.coerce(value)
            except ValueError as exc:
                raise ValueError(f"parameter {name!r} {exc}") from None
        return checked

    def version(self, key: str) -> DatastoreVersion | None:
        """A version by name or id."""
        return next((v for v in self.versions if key in (v.id, v.name)), None)


@cache
def load_catalog() -> tuple[DatastoreDescription, ...]:
    found = []
    for path in sorted(_HERE.glob("*/description.toml")):
        found.append(DatastoreDescription.model_validate(tomllib.loads(path.read_text())))
    return tuple(found)
