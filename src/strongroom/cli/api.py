"""`strongroom-api`: serve the Trove API (and the built-in identity) until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import sys

from strongroom.cli.common import add_config_argument, settings_or_exit
from strongroom.contracts.errors import StrongroomError
from strongroom.runtime.prepare import configure_logging, open_database
from strongroom.runtime.servers import build_servers, serve
from strongroom.store.migrate import require_current


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="strongroom-api", description=__doc__)
    add_config_argument(parser)
    settings = settings_or_exit(parser.parse_args(argv).config)
    configure_logging(settings)
    db = open_database(settings)
    try:
        require_current(db)
    except StrongroomError as exc:
        print(f"strongroom-api: {exc.message}", file=sys.stderr)
        return 2
    asyncio.run(serve(build_servers(settings, db)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
