"""The part of PostgreSQL's boot initialisation that the agent starts before its own
imports: directories and initdb (stdlib only; see `strongroom_agent.boot`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from strongroom_agent.engines.postgresql import config, lifecycle


def begin(settings: Mapping[str, object]) -> None:
    """Start initdb in the background for the agent configured by `settings` (its raw
    configuration); `PostgresqlEngine.initialise` then waits for it."""
    layout = config.layout_for(
        Path(str(settings["data_dir"])), Path(str(settings["run_dir"])),
        Path(str(settings["log_dir"])),
    )  # fmt: skip
    os_user = settings.get("engine_os_user") or config.OS_USER
    lifecycle.begin_initialise(layout, str(os_user))
