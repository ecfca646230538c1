"""Engine registry: datastore name -> `Engine` class; each engine lives in its own package."""

from __future__ import annotations

from strongroom.contracts.errors import ConfigError
from strongroom_agent.engines.base import Engine, EngineEnvironment
from strongroom_agent.engines.mariadb import MariadbEngine

ENGINES: dict[str, type[Engine]] = {
    MariadbEngine.name: MariadbEngine,
}


def create_engine(name: str, env: EngineEnvironment) -> Engine:
    """Instantiate the engine registered as `name`; `ConfigError` if none is."""
    try:
        engine_class = ENGINES[name]
    except KeyError:
        known = ", ".join(sorted(ENGINES))
        raise ConfigError(f"unknown engine {name!r} (known: {known})") from None
    return engine_class(env)
