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

    def database_problem(self, name: str) -> str | None:
        return self._problem(name, self.max_database_length, self.reserved_databases)

    def user_problem(self, name: str) -> str | None:
        return self._problem(name, self.max_user_length, self.reserved_users)

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
