"""The agent's first steps, before it imports anything heavy (pydantic, the contracts, the
engine, the web stack: ~0.5 s of CPU before the engine, ~1 s in all).

When a boot file (`engine-boot.json`, beside the config; written by the control plane with
the agent's files, no secrets in it) names the configured engine and the data volume is
fresh, the engine's initialisation is due at boot. An engine whose package has a stdlib-only
`boot` module (`begin(raw_config)`) gets its slowest part (MariaDB: install-db) started here,
straight from the raw JSON configuration; the full initialisation (`AgentService.
initialise_at_boot`) follows once the agent has loaded and waits for it. Anything unexpected
here only skips the head start: the settings are validated right after, as before.
"""

from __future__ import annotations

import importlib
import json
import logging
from pathlib import Path

BOOT_FILE = "engine-boot.json"
"""Beside the config: `{"engine": NAME}` asks for the engine's initialisation at boot."""

# What a fresh file system holds before anyone wrote to it (ext4 makes lost+found).
_FRESH_VOLUME_ENTRIES = frozenset({"lost+found"})

log = logging.getLogger(__name__)


def is_fresh_volume(data_dir: Path) -> bool:
    """Whether the data volume holds nothing but what `mkfs` puts there."""
    try:
        return {entry.name for entry in data_dir.iterdir()} <= _FRESH_VOLUME_ENTRIES
    except OSError:
        return False


def boot_requested(path: Path, engine: str) -> bool:
    """Whether the boot file at `path` asks to initialise `engine` (missing: no; unreadable or
    naming another engine: no, logged)."""
    try:
        wanted = json.loads(path.read_text()).get("engine")
    except FileNotFoundError:
        return False
    except (OSError, ValueError, AttributeError) as exc:
        log.warning("ignoring unreadable boot file %s: %s", path, exc)
        return False
    if wanted != engine:
        log.warning("boot file %s names engine %r, not %r: ignored", path, wanted, engine)
        return False
    return True


def head_start(config_path: Path) -> bool | None:
    """Whether the data volume was fresh when the agent started (None when the raw config
    could not tell: a TOML or unreadable file, left to the settings); when the boot file asks
    for the engine's initialisation, its stdlib-only part is started in the background."""
    try:
        raw = json.loads(config_path.read_text())
        engine, data_dir = raw["engine"], Path(raw["data_dir"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(engine, str) or not engine.isidentifier():
        return None
    fresh = is_fresh_volume(data_dir)
    if not fresh or not boot_requested(config_path.with_name(BOOT_FILE), engine):
        return fresh
    name = f"strongroom_agent.engines.{engine}.boot"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name not in (name, f"strongroom_agent.engines.{engine}"):
            raise
        return fresh  # no stdlib-only part: everything happens in `initialise_at_boot`
    try:
        module.begin(raw)
    except Exception as exc:  # a config the settings will explain; no head start then
        log.warning("no head start for the engine's initialisation: %r", exc)
    return fresh
