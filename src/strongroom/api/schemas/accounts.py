"""Request bodies and documents of an instance's databases, users and root (Trove's shapes)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import Field, StrictStr
from starlette.datastructures import URL

from strongroom.api.schemas.common import Body
from strongroom.api.schemas.instances import DatabaseBody, UserBody, UserDatabaseBody
from strongroom.services.accounts import DatabaseView
from strongroom.services.requests import DatabaseRequest, UserRequest
from strongroom.services.users import DEFAULT_HOST, UserView

MAX_ITEMS = 100
T = TypeVar("T")


class DatabasesBody(Body):
    databases: list[DatabaseBody] = Field(min_length=1, max_length=MAX_ITEMS)

    def to_requests(self) -> tuple[DatabaseRequest, ...]:
        return tuple(DatabaseRequest(d.name, d.character_set, d.collate) for d in self.databases)


class UsersBody(Body):
    users: list[UserBody] = Field(min_length=1, max_length=MAX_ITEMS)

    def to_requests(self) -> tuple[UserRequest, ...]:
        return tuple(
            UserRequest(u.name, u.password, u.host, tuple(d.name for d in u.databases))
            for u in self.users
        )


class UserUpdateFields(Body):
    name: StrictStr | None = None
    host: StrictStr | None = None
    password: StrictStr | None = Field(None, repr=False)


class UserUpdateBody(Body):
    user: UserUpdateFields


class GrantBody(Body):
    databases: list[UserDatabaseBody] = Field(min_length=1, max_length=MAX_ITEMS)


class RootBody(Body):
    password: StrictStr | None = Field(None, repr=False)


def split_account(user: str) -> tuple[str, str]:
    """`name@host` (troveclient's path segment) or a bare `name` (host `%`)."""
    name, _, host = user.partition("@")
    return name, host or DEFAULT_HOST


def render_database(view: DatabaseView) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": view.name}
    if view.character_set:
        doc["character_set"] = view.character_set
    if view.collate:
        doc["collate"] = view.collate
    return doc


def render_user(view: UserView) -> dict[str, Any]:
    return {
        "name": view.name,
        "host": view.host,
        "databases": [{"name": d} for d in view.databases],
    }


def paginate(
    key: str,
    items: Sequence[T],
    marker_of: Callable[[T], str],
    render: Callable[[T], dict[str, Any]],
    page: tuple[URL, int, str | None],
) -> dict[str, Any]:
    """Trove's paginated list: items after `marker`, at most `limit`, a `next` link if more."""
    url, limit, marker = page
    limit = max(1, limit)
    start = 0
    if marker is not None:
        start = next((i + 1 for i, item in enumerate(items) if marker_of(item) == marker), 0)
    chosen = items[start : start + limit]
    body: dict[str, Any] = {key: [render(item) for item in chosen]}
    if start + limit < len(items) and chosen:
        href = url.include_query_params(marker=marker_of(chosen[-1]), limit=limit)
        body["links"] = [{"rel": "next", "href": str(href)}]
    return body
