"""The MariaDB engine: one private mariadbd on the data volume, managed over its socket."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from strongroom.contracts.agent import EngineHealth, EngineState, PrepareRequest
from strongroom.contracts.backups import BackupKind
from strongroom.contracts.errors import Conflict, InfrastructureError
from strongroom.contracts.metrics import EngineMetrics, QueryDigest
from strongroom_agent.engines import process
from strongroom_agent.engines.backup import BackupStream
from strongroom_agent.engines.base import EngineEnvironment
from strongroom_agent.engines.intent import EngineIntent, load_intent, save_intent
from strongroom_agent.engines.mariadb import (
    backup,
    config,
    databases,
    lifecycle,
    logs,
    metrics,
    names,
    restore,
    sql,
    users,
    variables,
)
from strongroom_agent.engines.mariadb.administration import MariadbAdministration
from strongroom_agent.engines.restore import PartStream

log = logging.getLogger(__name__)

SERVER_BINARY = "/usr/sbin/mariadbd"


class MariadbEngine(MariadbAdministration):
    """MariaDB 10.11 from Debian, run as `mysql` with `--no-defaults`: the lifecycle here,
    day-2 administration in `MariadbAdministration`."""

    name: ClassVar[str] = "mariadb"
    default_port: ClassVar[int] = 3306
    default_os_user: ClassVar[str] = config.OS_USER

    def __init__(self, env: EngineEnvironment) -> None:
        super().__init__(env)
        self.layout = config.layout_for(env.data_dir, env.run_dir, env.log_dir)
        self.intent_path = env.data_dir / "strongroom-engine.json"
        self.os_user = env.os_user or self.default_os_user
        self._starting = False

    def validate(self, request: PrepareRequest) -> None:
        """Check every name in the request (see `names`)."""
        names.check_request(request)

    def prepare(self, request: PrepareRequest) -> None:
        """Initialise, configure, run, then create databases and users; converges on re-run."""
        self.validate(request)
        intent = replace(
            load_intent(self.intent_path) or EngineIntent(listen_address="", port=0),
            listen_address=request.listen_address or self.env.listen_address,
            port=request.port or self.env.port or self.default_port,
            running=True,
        )
        lifecycle.ensure_directories(self.layout, self.os_user)
        redo_log_size = self.render(intent).get("innodb-log-file-size")
        if lifecycle.initialise(self.layout, self.os_user, redo_log_size):
            log.info("initialised data directory %s", self.layout.datadir)
        save_intent(self.intent_path, intent)
        self._converge(intent)
        with sql.admin(self.layout.socket) as conn:
            for database in request.databases:
                databases.ensure_database(conn, database)
            for user in request.users:
                users.ensure_user(conn, user)
        log.info(
            "prepared %d database(s) and %d user(s): %s",
            len(request.databases),
            len(request.users),
            ", ".join(f"{u.name}@{u.host}" for u in request.users) or "-",
        )

    def start(self) -> None:
        """Start with the saved intent (a server running with an outdated configuration is
        restarted); `Conflict` before the first prepare."""
        intent = self._saved_intent()
        save_intent(self.intent_path, intent.with_running(True))
        lifecycle.ensure_directories(self.layout, self.os_user)
        self._converge(intent)

    def stop(self) -> None:
        """Record that the server should be stopped, then stop it."""
        intent = load_intent(self.intent_path)
        if intent is not None:
            save_intent(self.intent_path, intent.with_running(False))
        pid = lifecycle.find_pid(self.layout)
        if pid is None:
            return
        log.info("stopping mariadbd (pid %d)", pid)
        if not process.terminate(pid, lifecycle.marker(self.layout), self.env.stop_timeout_seconds):
            log.warning("mariadbd (pid %d) had to be killed", pid)

    def state(self) -> EngineState:
        """running / starting from the process; failed when meant to run but absent."""
        if self._starting:
            return EngineState.STARTING
        if lifecycle.find_pid(self.layout) is not None:
            return EngineState.RUNNING
        intent = load_intent(self.intent_path)
        return EngineState.FAILED if intent and intent.running else EngineState.STOPPED

    def health(self) -> EngineHealth:
        """`SELECT 1` over the private socket."""
        if not self.layout.socket.exists():
            return EngineHealth(healthy=False, detail="no server socket")
        return sql.probe(self.layout.socket)

    def log_files(self) -> list[Path]:
        """The error log and the install/stdout logs beside it."""
        return sorted(self.layout.error_log.parent.glob("*"))

    def resize(self, memory_mib: int, vcpus: int) -> None:
        """Persist the new limits; a running server is restarted once if its options change."""
        intent = replace(self._saved_intent(), memory_mib=memory_mib, vcpus=vcpus)
        save_intent(self.intent_path, intent)
        log.info("resized to %d MiB, %d vCPU(s)", memory_mib, vcpus)
        if intent.running:
            self._converge(intent)

    def sample_metrics(self) -> EngineMetrics:
        """`SHOW GLOBAL STATUS` counters over the private socket (see `metrics`)."""
        return metrics.sample(self.layout.socket)

    def top_queries(self, limit: int) -> list[QueryDigest]:
        """performance_schema statement digests by total time."""
        return metrics.top_queries(self.layout.socket, limit)

    def backup_stream(self, kind: BackupKind, parent_checkpoint: str | None) -> BackupStream:
        """`mariabackup --backup --stream=xbstream` of the running server (see `backup`)."""
        if lifecycle.find_pid(self.layout) is None:
            raise Conflict("the database server is not running")
        return backup.MariabackupStream(self.layout, kind, parent_checkpoint)

    def stage_restore(self, parts: Iterable[PartStream]) -> None:
        """`mbstream -x` each part into the staging dir (see `restore`)."""
        count = restore.stage(self.layout, parts)
        log.info("staged a restore of %d part(s)", count)

    def stale_scratch(self) -> list[Path]:
        """See `restore.stale_scratch`."""
        return restore.stale_scratch(self.layout)

    def finish_restore(self) -> None:
        """Prepare and move the staged backup into place, then start with the agent's
        address and port (or those of an earlier intent) and check that the server answers."""
        restore.finish(self.layout, self.os_user)
        intent = load_intent(self.intent_path) or EngineIntent(
            listen_address=self.env.listen_address, port=self.env.port or self.default_port
        )
        lifecycle.ensure_directories(self.layout, self.os_user)
        save_intent(self.intent_path, intent.with_running(True))
        self._converge(intent)
        health = self.health()
        if not health.healthy:
            raise InfrastructureError("the restored server does not answer", detail=health.detail)
        log.info("restored data started (%s)", health.version)

    def render(self, intent: EngineIntent) -> dict[str, str]:
        """The server options for an intent: sizing for its memory limit (the agent's unless
        resized), log switches, then the configuration overrides (which replace in place)."""
        sizing = config.size_for(intent.memory_mib or self.env.memory_mib)
        options = config.render_options(
            self.layout, sizing, intent.listen_address, intent.port, self.os_user
        )
        options.update(metrics.options(sizing.max_connections))
        options.update(logs.options(self.layout, intent.enabled_logs))
        options.update(variables.render(intent.parameters))
        return options

    def running_options(self) -> dict[str, str] | None:
        """The options the running server was started with, or None when it is not running."""
        pid = lifecycle.find_pid(self.layout)
        args = process.cmdline(pid) if pid is not None else None
        return None if args is None else config.from_argv(args)

    def _saved_intent(self) -> EngineIntent:
        intent = load_intent(self.intent_path)
        if intent is None or not self.layout.datadir.is_dir():
            raise Conflict("the engine has not been prepared yet")
        return intent

    def _converge(self, intent: EngineIntent) -> None:
        """Make the running server match the rendered options: keep (options changed live
        count as matching), replace or launch."""
        options = self.render(intent)
        argv = config.to_argv(SERVER_BINARY, options)
        pid = lifecycle.find_pid(self.layout)
        running = process.cmdline(pid) if pid is not None else None
        if running is not None and config.same_options(running, argv, set(intent.live_options)):
            lifecycle.wait_ready(self.layout, self.env.start_timeout_seconds)
            return
        if pid is not None:
            log.info("configuration changed; restarting mariadbd (pid %d)", pid)
            self.stop()
            save_intent(self.intent_path, intent.with_running(True))
        self.layout.pidfile.unlink(missing_ok=True)  # stale: names no server of ours
        self.layout.pidfile.with_name("mariadbd.cnf").write_text(config.to_cnf(options))
        self._starting = True
        try:
            pid = lifecycle.launch(argv, self.layout, self.env.start_timeout_seconds)
        finally:
            self._starting = False
        save_intent(self.intent_path, replace(intent, running=True, live_options=[]))
        log.info("mariadbd started (pid %d) on %s:%d", pid, intent.listen_address, intent.port)
