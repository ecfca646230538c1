"""Day-2 administration of the PostgreSQL engine: databases, users, root, configuration, logs.

Every method talks to the running server over the private socket as the bootstrap superuser
and persists what must survive a restart in the engine intent. Names are checked (`names`,
`parameters`) before any statement is built.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import psycopg
from pydantic import SecretStr

from strongroom.contracts.agent import (
    DatabaseSpec,
    LogView,
    ParameterValue,
    UserSpec,
    UserUpdate,
    UserView,
)
from strongroom.contracts.errors import BadRequest, NotFound
from strongroom_agent.engines import parameters as rules
from strongroom_agent.engines.base import Engine
from strongroom_agent.engines.intent import EngineIntent, load_intent, save_intent
from strongroom_agent.engines.postgresql import (
    databases,
    logs,
    names,
    parameters,
    sql,
    users,
)
from strongroom_agent.engines.postgresql.config import Layout

log = logging.getLogger(__name__)


class PostgresqlAdministration(Engine):
    """The day-2 half of `PostgresqlEngine` (which provides the layout, intent and files)."""

    layout: Layout
    intent_path: Path

    @abstractmethod
    def _saved_intent(self) -> EngineIntent: ...

    @abstractmethod
    def port(self) -> int: ...

    @abstractmethod
    def write_configuration(self, intent: EngineIntent) -> bool: ...

    @abstractmethod
    def reload(self) -> set[str]: ...

    @contextmanager
    def admin(self, database: str = sql.MAINTENANCE_DATABASE) -> Iterator[psycopg.Connection]:
        """A superuser session on `database`, errors as `InfrastructureError`."""
        with sql.admin(self.layout.socket_dir, self.port(), database) as conn:
            yield conn

    # Databases -------------------------------------------------------------------------

    def list_databases(self) -> list[DatabaseSpec]:
        with self.admin() as conn:
            return databases.list_databases(conn)

    def create_database(self, database: DatabaseSpec) -> None:
        names.check_database(database)
        with self.admin() as conn:
            databases.ensure_database(conn, database)
        log.info("database %s created or present", database.name)

    def delete_database(self, name: str) -> None:
        names.check_database_name(name)
        with self.admin() as conn:
            databases.drop_database(conn, name)
        log.info("database %s dropped or absent", name)

    # Users -----------------------------------------------------------------------------

    def list_users(self) -> list[UserView]:
        with self.admin() as conn:
            return users.list_users(conn)

    def get_user(self, name: str, host: str) -> UserView:
        names.check_account(name, host)
        with self.admin() as conn:
            if not users.exists(conn, name):
                raise NotFound(f"user {name!r}@{host!r} does not exist")
            return users.view(conn, name)

    def create_user(self, user: UserSpec) -> None:
        names.check_account(user.name, user.host)
        for database in user.databases:
            names.check_database_name(database)
        with self.admin() as conn:
            _require_databases(conn, user.databases)
        users.ensure_user(self.admin, user)
        log.info("user %s created or converged", user.name)

    def update_user(self, name: str, host: str, change: UserUpdate) -> None:
        names.check_account(name, host)
        names.check_account(change.name or name, change.host or host)
        with self.admin() as conn:
            users.update_user(conn, name, change)
        log.info(
            "user %s updated (new name %s, password %s)",
            name,
            change.name or "-",
            "changed" if change.password else "kept",
        )

    def delete_user(self, name: str, host: str) -> None:
        names.check_account(name, host)
        users.drop_user(self.admin, name)
        log.info("user %s dropped or absent", name)

    def grant_databases(self, name: str, host: str, databases: list[str]) -> None:
        names.check_account(name, host)
        for database in databases:
            names.check_database_name(database)
        with self.admin() as conn:
            if not users.exists(conn, name):
                raise NotFound(f"user {name!r}@{host!r} does not exist")
            _require_databases(conn, databases)
        users.grant(self.admin, name, databases)
        log.info("user %s granted %s", name, ", ".join(databases) or "-")

    def revoke_database(self, name: str, host: str, database: str) -> None:
        names.check_account(name, host)
        names.check_database_name(database)
        with self.admin() as conn:
            if not users.exists(conn, name):
                raise NotFound(f"user {name!r}@{host!r} does not exist")
        users.revoke(self.admin, name, database)
        log.info("user %s revoked from %s", name, database)

    # Root ------------------------------------------------------------------------------

    def enable_root(self, password: SecretStr) -> None:
        with self.admin() as conn:
            users.enable_root(conn, password)
        log.info("root enabled")

    def disable_root(self) -> None:
        with self.admin() as conn:
            users.disable_root(conn)
        log.info("root disabled")

    def root_enabled(self) -> bool:
        with self.admin() as conn:
            return users.root_enabled(conn)

    # Configuration ---------------------------------------------------------------------

    def apply_configuration(
        self, values: dict[str, ParameterValue], dynamic_names: list[str]
    ) -> list[str]:
        """Render the overrides into postgresql.conf, check the file with pg_file_settings
        (refused: the old file is put back), reload, and return what waits for a restart
        (PostgreSQL's own `pending_restart`; `dynamic_names` are not needed: the server knows)."""
        parameters.check_values(values)
        intent = self._saved_intent()
        with self.admin() as conn:
            parameters.check_against_server(conn, values)
        updated = replace(intent, parameters=dict(values))
        previous = self.layout.conf.read_text()
        self.write_configuration(updated)
        with self.admin() as conn:
            refused = parameters.file_errors(conn, str(self.layout.conf))
        if refused:
            self.layout.conf.write_text(previous)
            names_refused = ", ".join(sorted(refused))
            raise BadRequest(f"the server refused the value of {names_refused}")
        save_intent(self.intent_path, updated)
        required = sorted(self.reload())
        log.info(
            "configuration applied: %d value(s), restart required for %s",
            len(values),
            ", ".join(required) or "-",
        )
        return required

    def effective_configuration(self, names: list[str]) -> dict[str, str]:
        rules.check_names_to_read(names)
        with sql.admin(self.layout.socket_dir, self.port(), quiet=False) as conn:
            return parameters.read(conn, names)  # one SELECT: the general log may show it

    # Logs ------------------------------------------------------------------------------

    def list_logs(self) -> list[LogView]:
        intent = load_intent(self.intent_path)
        return logs.views(self.layout, intent.enabled_logs if intent else [])

    def set_log_enabled(self, name: str, enabled: bool) -> LogView:
        logs.check_optional(name)
        intent = self._saved_intent()
        wanted = set(intent.enabled_logs) - {name} | ({name} if enabled else set())
        updated = replace(intent, enabled_logs=sorted(wanted))
        save_intent(self.intent_path, updated)
        if self.write_configuration(updated) and self.state_is_running():
            self.reload()
        log.info("log %s %s", name, "enabled" if enabled else "disabled")
        return self.log_view(name)

    @abstractmethod
    def state_is_running(self) -> bool: ...


def _require_databases(conn: psycopg.Connection, wanted: list[str]) -> None:
    missing = sorted(set(wanted) - databases.existing(conn, wanted))
    if missing:
        raise BadRequest(f"database(s) {', '.join(missing)} do not exist")
