"""Who is calling: the user, the project the token is scoped to, and the roles held there."""

from __future__ import annotations

from dataclasses import dataclass

ADMIN = "admin"
MEMBER = "member"
READER = "reader"
ROLES: tuple[str, ...] = (ADMIN, MEMBER, READER)
"""The only roles there are. `admin` acts on every project; `reader` may only read."""

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITER_ROLES = frozenset({ADMIN, MEMBER})


@dataclass(frozen=True)
class RequestContext:
    user_id: str
    user_name: str
    project_id: str
    project_name: str
    roles: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles

    @property
    def can_write(self) -> bool:
        """Whether the caller may change anything (admin or member; a reader may only GET)."""
        return bool(self.roles & _WRITER_ROLES)

    def allows_method(self, method: str) -> bool:
        """Whether an HTTP request with `method` is within the caller's roles."""
        return method.upper() in READ_METHODS or self.can_write
