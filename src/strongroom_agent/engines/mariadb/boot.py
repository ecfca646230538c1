"""The part of MariaDB's boot initialisation that the agent starts before its own imports:
directories and `mariadb-install-db` (stdlib only; see `strongroom_agent.boot`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from strongroom_agent.engines.mariadb import config, lifecycle


def begin(settings: Mapping[str, object]) -> None:
    """Start installing the data directory in the background for the agent configured by
    `settings` (its raw configuration); `MariadbEngine.initialise` then waits for it."""
    memory_mib = settings["memory_mib"]
    if not isinstance(memory_mib, int):
        raise ValueError("memory_mib is not an integer")
    layout = config.layout_for(
        Path(str(settings["data_dir"])), Path(str(settings["run_dir"])),
        Path(str(settings["log_dir"])),
    )  # fmt: skip
    os_user = settings.get("engine_os_user") or config.OS_USER
    # What `MariadbEngine.render` gives a fresh volume (no configuration group yet).
    redo_log_size = f"{config.size_for(memory_mib).log_file_mib}M"
    lifecycle.begin_initialise(layout, str(os_user), redo_log_size)
