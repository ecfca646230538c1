"""What every entry point does first: load the config, or stop naming what is wrong."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from strongroom.config import Settings, load_settings
from strongroom.contracts.errors import ConfigError
from strongroom.services.policy import Policy


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="TOML config file (default: $STRONGROOM_CONFIG or /etc/strongroom/strongroom.toml)",
    )


def settings_or_exit(path: Path | None) -> Settings:
    try:
        settings = load_settings(path)
        Policy.load(settings.api.policy_file)  # a bad policy file stops every entry point
        return settings
    except ConfigError as exc:
        print(f"strongroom: configuration error: {exc.message}", file=sys.stderr)
        raise SystemExit(2) from exc
