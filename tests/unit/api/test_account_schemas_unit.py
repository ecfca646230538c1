"""Parsing troveclient's `name@host` path segment and Trove's paginated lists."""

from __future__ import annotations

import pytest
from starlette.datastructures import URL

from strongroom.api.schemas.accounts import paginate, split_account

pytestmark = pytest.mark.unit


def test_split_account() -> None:
    assert split_account("app") == ("app", "%")
    assert split_account("app@%") == ("app", "%")
    assert split_account("app@10.0.0.1") == ("app", "10.0.0.1")


def test_paginate_gives_a_next_link_only_when_more_follow() -> None:
    url = URL("http://h/v1.0/p/instances/i/databases")
    items = ["a", "b", "c"]

    def page(limit: int, marker: str | None) -> dict[str, object]:
        return paginate("databases", items, str, lambda x: {"name": x}, (url, limit, marker))

    first = page(2, None)
    assert first["databases"] == [{"name": "a"}, {"name": "b"}]
    assert "marker=b" in first["links"][0]["href"]  # type: ignore[index]
    assert page(2, "b") == {"databases": [{"name": "c"}]}
    assert page(10, None) == {"databases": [{"name": x} for x in items]}
