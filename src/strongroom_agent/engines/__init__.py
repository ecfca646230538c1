"""Engine registry: datastore name -> `Engine` class.

Each engine is a sub-package exporting `ENGINE` (its `Engine` subclass); the registry finds
them by scanning this package, so adding an engine touches nothing outside its folder.
Importing this package (or an engine's package) imports nothing heavy: the agent's boot
imports an engine's stdlib-only `boot` module before pydantic, the contracts and the engine
(`strongroom_agent.boot`).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import TYPE_CHECKING

from strongroom.contracts.errors import ConfigError

if TYPE_CHECKING:
    from strongroom_agent.engines.base import Engine, EngineEnvironment


@cache
def engine_classes() -> dict[str, type[Engine]]:
    """Every engine found in this package's sub-packages, by name."""
    from strongroom_agent.engines.base import Engine

    found: dict[str, type[Engine]] = {}
    for info in pkgutil.iter_modules(__path__):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        engine = getattr(module, "ENGINE", None)
        if isinstance(engine, type) and issubclass(engine, Engine):
            found[engine.name] = engine
    return found


def create_engine(name: str, env: EngineEnvironment) -> Engine:
    """Instantiate the engine registered as `name`; `ConfigError` if none is."""
    engines = engine_classes()
    if name not in engines:
        known = ", ".join(sorted(engines))
        raise ConfigError(f"unknown engine {name!r} (known: {known})")
    return engines[name](env)
