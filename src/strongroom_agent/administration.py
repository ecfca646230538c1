"""Day-2 requests the routes call: databases, users, root, configuration and logs.

Reads go straight to the engine; changes hold the operation runner's slot (`exclusive`) so that
they never interleave with a restart or another change (`Conflict`, retryable, otherwise).
"""

from __future__ import annotations

from strongroom.contracts.agent import (
    ConfigurationApplied,
    ConfigurationRequest,
    DatabaseList,
    DatabaseNames,
    DatabaseSpec,
    EffectiveConfiguration,
    LogChunk,
    LogList,
    LogView,
    RootEnableRequest,
    RootStatus,
    UserList,
    UserSpec,
    UserUpdate,
    UserView,
)
from strongroom_agent.engines.base import Engine
from strongroom_agent.operations import OperationRunner


class AdministrationService:
    """Day-2 administration of one instance's engine."""

    def __init__(self, engine: Engine, runner: OperationRunner) -> None:
        self.engine = engine
        self.runner = runner

    def list_databases(self) -> DatabaseList:
        return DatabaseList(databases=self.engine.list_databases())

    def create_database(self, database: DatabaseSpec) -> None:
        with self.runner.exclusive("create database"):
            self.engine.create_database(database)

    def delete_database(self, name: str) -> None:
        with self.runner.exclusive("delete database"):
            self.engine.delete_database(name)

    def list_users(self) -> UserList:
        return UserList(users=self.engine.list_users())

    def get_user(self, name: str, host: str) -> UserView:
        return self.engine.get_user(name, host)

    def create_user(self, user: UserSpec) -> UserView:
        with self.runner.exclusive("create user"):
            self.engine.create_user(user)
        return self.engine.get_user(user.name, user.host)

    def update_user(self, name: str, host: str, change: UserUpdate) -> UserView:
        with self.runner.exclusive("update user"):
            self.engine.update_user(name, host, change)
        return self.engine.get_user(change.name or name, change.host or host)

    def delete_user(self, name: str, host: str) -> None:
        with self.runner.exclusive("delete user"):
            self.engine.delete_user(name, host)

    def user_databases(self, name: str, host: str) -> DatabaseNames:
        return DatabaseNames(databases=self.engine.get_user(name, host).databases)

    def grant(self, name: str, host: str, request: DatabaseNames) -> DatabaseNames:
        with self.runner.exclusive("grant access"):
            self.engine.grant_databases(name, host, request.databases)
        return self.user_databases(name, host)

    def revoke(self, name: str, host: str, database: str) -> None:
        with self.runner.exclusive("revoke access"):
            self.engine.revoke_database(name, host, database)

    def root_status(self) -> RootStatus:
        return RootStatus(enabled=self.engine.root_enabled())

    def enable_root(self, request: RootEnableRequest) -> RootStatus:
        with self.runner.exclusive("enable root"):
            self.engine.enable_root(request.password)
        return self.root_status()

    def disable_root(self) -> None:
        with self.runner.exclusive("disable root"):
            self.engine.disable_root()

    def apply_configuration(self, request: ConfigurationRequest) -> ConfigurationApplied:
        with self.runner.exclusive("apply configuration"):
            required = self.engine.apply_configuration(request.values, request.dynamic_names)
        return ConfigurationApplied(restart_required=required)

    def effective_configuration(self, names: list[str]) -> EffectiveConfiguration:
        return EffectiveConfiguration(values=self.engine.effective_configuration(names))

    def list_logs(self) -> LogList:
        return LogList(logs=self.engine.list_logs())

    def set_log(self, name: str, enabled: bool) -> LogView:
        with self.runner.exclusive("switch log"):
            return self.engine.set_log_enabled(name, enabled)

    def read_log(self, name: str, offset: int | None, length: int) -> LogChunk:
        return self.engine.read_log(name, offset, length)
