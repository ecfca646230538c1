"""What the control plane last asked of the engine, kept on the data volume.

The engine reads it at start (which address and port to bind, which sizing, configuration
overrides and optional logs) and to tell a crash (`failed`: meant to run, not running) from a
requested stop (`stopped`). Files written before a field existed load with its default.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path


@dataclass(frozen=True)
class EngineIntent:
    """The desired state of the engine."""

    listen_address: str
    port: int
    running: bool = False
    memory_mib: int | None = None
    """Memory limit from the last resize; None: the agent's settings."""
    vcpus: int | None = None
    """CPU count from the last resize; None: the agent's settings."""
    parameters: dict[str, bool | int | float | str] = field(default_factory=dict)
    """Configuration overrides the control plane applied (the complete set)."""
    enabled_logs: list[str] = field(default_factory=list)
    """Optional logs switched on."""
    live_options: list[str] = field(default_factory=list)
    """Server options changed in the running server without a restart since it started: a
    server whose command line differs from the rendered one only in these is up to date."""

    def with_running(self, running: bool) -> EngineIntent:
        """A copy with `running` changed."""
        return replace(self, running=running)


def load_intent(path: Path) -> EngineIntent | None:
    """The saved intent, or None before the first prepare."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    return EngineIntent(**data)


def save_intent(path: Path, intent: EngineIntent) -> None:
    """Write the intent atomically (rename over the old file)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(asdict(intent), indent=2))
    os.replace(tmp, path)
