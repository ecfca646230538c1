"""The MariaDB engine; imports strongroom.contracts and the agent's engine base only."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from strongroom_agent.engines.mariadb.engine import MariadbEngine

    ENGINE = MariadbEngine

__all__ = ["ENGINE", "MariadbEngine"]


def __getattr__(name: str) -> object:
    """`ENGINE` and `MariadbEngine` imported on first use, so that importing a stdlib-only module
    of this package (`boot`) does not import the engine, pydantic and the contracts."""
    if name in __all__:
        from strongroom_agent.engines.mariadb.engine import MariadbEngine

        return MariadbEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
