"""The MariaDB engine; imports strongroom.contracts and the agent's engine base only."""

from strongroom_agent.engines.mariadb.engine import MariadbEngine

ENGINE = MariadbEngine

__all__ = ["ENGINE", "MariadbEngine"]
