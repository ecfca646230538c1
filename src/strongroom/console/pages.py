"""The console's pages, each assembled once from one shell (`templates/page.html`: the head
with its same-origin stylesheet and deferred scripts, nothing inline, so the strict CSP holds)
and the page's own body (`templates/<name>.html`), with the logged-in pages' header bar
(`templates/bar.html`) in front."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path
from string import Template

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Page:
    name: str
    title: str
    scripts: tuple[str, ...] = ("console.js",)
    """Files of `static/`, loaded deferred in this order."""
    logged_in: bool = True
    """Whether the page shows the header bar with the user and a logout button."""


PAGES = {
    page.name: page
    for page in (
        Page("instances", "Instances"),
        Page("instance", "Instance", scripts=("chart.js", "console.js")),
        Page("login", "Log in", logged_in=False),
    )
}


def _template(name: str) -> str:
    return (TEMPLATES / f"{name}.html").read_text(encoding="utf-8")


@cache
def render(name: str) -> str:
    """The whole HTML document of page `name` (one of `PAGES`)."""
    page = PAGES[name]
    scripts = "\n".join(
        f'  <script src="/console/static/{escape(s)}" defer></script>' for s in page.scripts
    )
    body = (_template("bar") if page.logged_in else "") + _template(page.name)
    return Template(_template("page")).substitute(
        title=escape(page.title), scripts=scripts, page=page.name, body=body.rstrip("\n")
    )
