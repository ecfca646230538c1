"""Day-2 administration of the MariaDB engine: databases, users, root, configuration, logs.

Every method talks to the running server over the private socket as `root` (socket
authentication) and persists what must survive a restart in the engine intent. Names are
checked (`names`, `variables`) before any statement is built.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from dataclasses import replace
from pathlib import Path

from pydantic import SecretStr
from pymysql.connections import Connection

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
from strongroom_agent.engines.mariadb import (
    config,
    databases,
    grants,
    logs,
    names,
    sql,
    users,
    variables,
)

log = logging.getLogger(__name__)


class MariadbAdministration(Engine):
    """The day-2 half of `MariadbEngine` (which provides the layout, intent and rendering)."""

    layout: config.Layout
    intent_path: Path

    @abstractmethod
    def _saved_intent(self) -> EngineIntent: ...

    @abstractmethod
    def render(self, intent: EngineIntent) -> dict[str, str]: ...

    @abstractmethod
    def running_options(self) -> dict[str, str] | None: ...

    # Databases -------------------------------------------------------------------------

    def list_databases(self) -> list[DatabaseSpec]:
        with sql.admin(self.layout.socket) as conn:
            return databases.list_databases(conn)

    def create_database(self, database: DatabaseSpec) -> None:
        names.check_database(database)
        with sql.admin(self.layout.socket) as conn:
            databases.ensure_database(conn, database)
        log.info("database %s created or present", database.name)

    def delete_database(self, name: str) -> None:
        names.check_database_name(name)
        with sql.admin(self.layout.socket) as conn:
            databases.drop_database(conn, name)
        log.info("database %s dropped or absent", name)

    # Users -----------------------------------------------------------------------------

    def list_users(self) -> list[UserView]:
        with sql.admin(self.layout.socket) as conn:
            return users.list_users(conn)

    def get_user(self, name: str, host: str) -> UserView:
        names.check_account(name, host)
        with sql.admin(self.layout.socket) as conn:
            found = users.find_user(conn, name, host)
        if found is None:
            raise NotFound(f"user {name!r}@{host!r} does not exist")
        return found

    def create_user(self, user: UserSpec) -> None:
        names.check_account(user.name, user.host)
        for database in user.databases:
            names.check_database_name(database)
        with sql.admin(self.layout.socket) as conn:
            _require_databases(conn, user.databases)
            users.ensure_user(conn, user)
        log.info("user %s@%s created or converged", user.name, user.host)

    def update_user(self, name: str, host: str, change: UserUpdate) -> None:
        names.check_account(name, host)
        names.check_account(change.name or name, change.host or host)
        with sql.admin(self.layout.socket) as conn:
            users.update_user(conn, name, host, change)
        log.info(
            "user %s@%s updated (new name %s, new host %s, password %s)",
            name,
            host,
            change.name or "-",
            change.host or "-",
            "changed" if change.password else "kept",
        )

    def delete_user(self, name: str, host: str) -> None:
        names.check_account(name, host)
        with sql.admin(self.layout.socket) as conn:
            users.drop_user(conn, name, host)
        log.info("user %s@%s dropped or absent", name, host)

    def grant_databases(self, name: str, host: str, databases: list[str]) -> None:
        names.check_account(name, host)
        for database in databases:
            names.check_database_name(database)
        with sql.admin(self.layout.socket) as conn:
            if not users.exists(conn, name, host):
                raise NotFound(f"user {name!r}@{host!r} does not exist")
            _require_databases(conn, databases)
            grants.grant(conn, name, host, databases)
        log.info("user %s@%s granted %s", name, host, ", ".join(databases) or "-")

    def revoke_database(self, name: str, host: str, database: str) -> None:
        names.check_account(name, host)
        names.check_database_name(database)
        with sql.admin(self.layout.socket) as conn:
            if not users.exists(conn, name, host):
                raise NotFound(f"user {name!r}@{host!r} does not exist")
            grants.revoke(conn, name, host, database)
        log.info("user %s@%s revoked from %s", name, host, database)

    # Root ------------------------------------------------------------------------------

    def enable_root(self, password: SecretStr) -> None:
        with sql.admin(self.layout.socket) as conn:
            users.enable_root(conn, password)
        log.info("root@%s enabled", "%")

    def disable_root(self) -> None:
        with sql.admin(self.layout.socket) as conn:
            users.disable_root(conn)
        log.info("root@%s disabled", "%")

    def root_enabled(self) -> bool:
        with sql.admin(self.layout.socket) as conn:
            return users.root_enabled(conn)

    # Configuration ---------------------------------------------------------------------

    def apply_configuration(
        self, values: dict[str, ParameterValue], dynamic_names: list[str]
    ) -> list[str]:
        variables.check_values(values)
        intent = self._saved_intent()
        with sql.admin(self.layout.socket) as conn:
            variables.check_against_server(conn, values)
            live = {name: values[name] for name in values if name in dynamic_names}
            read_only = variables.apply_live(conn, live)
        removed = set(intent.parameters) - set(values)
        changed_live = {variables.option_name(name) for name in set(live) - set(read_only)}
        touched = {variables.option_name(name) for name in set(values) | removed}
        updated = replace(
            intent,
            parameters=dict(values),
            live_options=sorted((set(intent.live_options) - touched) | changed_live),
        )
        save_intent(self.intent_path, updated)
        pending = (set(values) - set(live)) | set(read_only) | removed
        required = self._differs_from_running(updated, pending, set(intent.live_options))
        log.info(
            "configuration applied: %d value(s), live %s, restart required for %s",
            len(values),
            ", ".join(sorted(set(live) - set(read_only))) or "-",
            ", ".join(required) or "-",
        )
        return required

    def effective_configuration(self, names: list[str]) -> dict[str, str]:
        rules.check_names_to_read(names)
        with sql.admin(self.layout.socket) as conn:
            return variables.read(conn, names)

    def _differs_from_running(
        self, intent: EngineIntent, pending: set[str], changed_live: set[str]
    ) -> list[str]:
        """Of `pending`, the names whose rendered option differs from the running server's
        command line, or that were changed live before (their running value is unknown)."""
        running = self.running_options()
        if running is None:
            return sorted(pending)
        rendered = self.render(intent)
        options = {name: variables.option_name(name) for name in pending}
        return sorted(
            name
            for name, option in options.items()
            if option in changed_live or rendered.get(option) != running.get(option)
        )

    # Logs ------------------------------------------------------------------------------

    def list_logs(self) -> list[LogView]:
        intent = load_intent(self.intent_path)
        return logs.views(self.layout, intent.enabled_logs if intent else [])

    def set_log_enabled(self, name: str, enabled: bool) -> LogView:
        logs.check_optional(name)
        intent = self._saved_intent()
        wanted = set(intent.enabled_logs) - {name} | ({name} if enabled else set())
        live = set(intent.live_options)
        if self.running_options() is not None:
            with sql.admin(self.layout.socket) as conn:
                logs.switch_live(conn, name, enabled)
            live.add(logs.switch_option(name))
        updated = replace(intent, enabled_logs=sorted(wanted), live_options=sorted(live))
        save_intent(self.intent_path, updated)
        log.info("log %s %s", name, "enabled" if enabled else "disabled")
        return self.log_view(name)


def _require_databases(conn: Connection, wanted: list[str]) -> None:
    missing = sorted(set(wanted) - databases.existing(conn, wanted))
    if missing:
        raise BadRequest(f"database(s) {', '.join(missing)} do not exist")
