"""The web console: static pages with our own SVG charts, the server-side login against the
configured Keystone v3 endpoint, and the cookie gateway that lets the pages read the Trove API.
Imports `config`, `domain` and `contracts`."""

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
"""The pages, styles and scripts, shipped as package data."""
