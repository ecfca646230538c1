"""The console's pages come from one shell: each is a whole document with the same head, loads
only same-origin files that exist, and holds nothing inline that the strict CSP would block."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from strongroom.console import STATIC_DIR
from strongroom.console.pages import PAGES, render

pytestmark = pytest.mark.unit


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        if self.tags and self.tags[-1][0] == "script" and data.strip():
            self.inline_script = True


def parsed(name: str) -> _Tags:
    tags = _Tags()
    tags.feed(render(name))
    return tags


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_page_is_whole_and_csp_safe(name: str) -> None:
    html = render(name)
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert "$" not in html  # every placeholder filled
    tags = parsed(name)
    names = [tag for tag, _ in tags.tags]
    assert names.count("head") == 1 and names.count("body") == 1 and names.count("main") == 1
    assert ("body", {"data-page": name}) in tags.tags
    assert not tags.inline_script and "<style" not in html
    for _, attrs in tags.tags:
        assert "style" not in attrs and not any(a.startswith("on") for a in attrs), attrs
    sheets = [a["href"] for t, a in tags.tags if t == "link" and a.get("rel") == "stylesheet"]
    scripts = [a["src"] for t, a in tags.tags if t == "script"]
    assert sheets == ["/console/static/console.css"]
    assert scripts == [f"/console/static/{s}" for s in PAGES[name].scripts]
    for path in [*sheets, *scripts]:
        assert path is not None and (STATIC_DIR / path.removeprefix("/console/static/")).is_file()


def test_the_pages_share_one_head_and_the_logged_in_ones_one_bar() -> None:
    def head(name: str) -> str:
        html = render(name)
        return re.sub(r"<title>.*</title>|  <script.*\n", "", html[: html.index("</head>")])

    assert len({head(name) for name in PAGES}) == 1
    bars = {name: 'id="logout"' in render(name) for name in PAGES}
    assert bars == {"instances": True, "instance": True, "login": False}
