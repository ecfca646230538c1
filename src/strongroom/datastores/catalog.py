"""Load every `*/description.toml` beside this module into typed descriptions."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

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

    def database_problem(self, name: str) -> str | None:
        return self._problem(name, self.max_database_length, self.reserved_databases)

    def user_problem(self, name: str) -> str | None:
        return self._problem(name, self.max_user_length, self.reserved_users)

    def host_problem(self, host: str) -> str | None:
        """What is wrong with a user's host pattern (`%`, an address, a name), or None."""
        if not re.fullmatch(self.host_pattern, host):
            return "use letters, digits, `.`, `_`, `%`, `:` and `-` (at most 255)"
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


class DatastoreDescription(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: str
    port: int
    default_version: str
    versions: tuple[DatastoreVersion, ...]
    capabilities: tuple[str, ...] = ()
    names: NameRules = NameRules()

    def version(self, key: str) -> DatastoreVersion | None:
        """A version by name or id."""
        return next((v for v in self.versions if key in (v.id, v.name)), None)


@cache
def load_catalog() -> tuple[DatastoreDescription, ...]:
    found = []
    for path in sorted(_HERE.glob("*/description.toml")):
        found.append(DatastoreDescription.model_validate(tomllib.loads(path.read_text())))
    return tuple(found)
