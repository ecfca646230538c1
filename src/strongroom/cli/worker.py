"""`strongroom-worker`: run jobs and periodic duties until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import sys

from strongroom.cli.common import add_config_argument, settings_or_exit
from strongroom.contracts.errors import StrongroomError
from strongroom.runtime.prepare import configure_logging
from strongroom.worker.service import Worker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="strongroom-worker", description=__doc__)
    add_config_argument(parser)
    settings = settings_or_exit(parser.parse_args(argv).config)
    configure_logging(settings)
    try:
        worker = Worker(settings)
    except StrongroomError as exc:
        print(f"strongroom-worker: {exc.message}", file=sys.stderr)
        return 2
    worker.install_signal_handlers()
    worker.run_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
