"""The PostgreSQL engine; imports strongroom.contracts and the agent's engine base only."""

from strongroom_agent.engines.postgresql.engine import PostgresqlEngine

ENGINE = PostgresqlEngine

__all__ = ["ENGINE", "PostgresqlEngine"]
