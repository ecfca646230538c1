from __future__ import annotations

import dataclasses

import pytest

from strongroom.identity.context import RequestContext

pytestmark = pytest.mark.unit


def context(*roles: str) -> RequestContext:
    return RequestContext("uid", "alice", "pid", "demo", frozenset(roles))


@pytest.mark.parametrize(
    ("roles", "is_admin", "can_write"),
    [
        (("admin",), True, True),
        (("member",), False, True),
        (("reader",), False, False),
        (("reader", "member"), False, True),
    ],
)
def test_roles_decide_admin_and_write(
    roles: tuple[str, ...], is_admin: bool, can_write: bool
) -> None:
    ctx = context(*roles)
    assert (ctx.is_admin, ctx.can_write) == (is_admin, can_write)


def test_a_reader_may_only_read() -> None:
    reader = context("reader")
    assert reader.allows_method("GET") and reader.allows_method("head")
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert not reader.allows_method(method)
        assert context("member").allows_method(method)


def test_the_context_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        context("reader").roles = frozenset({"admin"})  # type: ignore[misc]
