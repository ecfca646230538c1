"""The PostgreSQL engine: one private postmaster on the data volume, managed over its socket."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from strongroom.contracts.agent import (
    EngineHealth,
    EngineState,
    PrepareRequest,
    WalSegment,
    WalSwitch,
)
from strongroom.contracts.backups import BackupKind
from strongroom.contracts.errors import Conflict, InfrastructureError
from strongroom.contracts.metrics import EngineMetrics, QueryDigest
from strongroom_agent.engines.backup import BackupStream
from strongroom_agent.engines.base import EngineEnvironment
from strongroom_agent.engines.intent import EngineIntent, load_intent, save_intent
from strongroom_agent.engines.postgresql import (
    backup,
    config,
    databases,
    lifecycle,
    logs,
    metrics,
    names,
    parameters,
    restore,
    sql,
    users,
    wal,
)
from strongroom_agent.engines.postgresql.administration import PostgresqlAdministration
from strongroom_agent.engines.restore import PartStream

log = logging.getLogger(__name__)


class PostgresqlEngine(PostgresqlAdministration):
    """PostgreSQL 15 from Debian, run as `postgres` with agent-rendered configuration files:
    the lifecycle here, day-2 administration in `PostgresqlAdministration`."""

    name: ClassVar[str] = "postgresql"
    default_port: ClassVar[int] = 5432
    default_os_user: ClassVar[str] = config.OS_USER

    def __init__(self, env: EngineEnvironment) -> None:
        super().__init__(env)
        self.layout = config.layout_for(env.data_dir, env.run_dir, env.log_dir)
        self.intent_path = env.data_dir / "strongroom-engine.json"
        self.wal_spool = env.data_dir / wal.SPOOL_NAME
        self.wal_restore = env.data_dir / wal.RESTORE_SPOOL_NAME
        self.os_user = env.os_user or self.default_os_user
        self._starting = False

    def validate(self, request: PrepareRequest) -> None:
        """Check every name in the request (see `names`)."""
        names.check_request(request)

    def prepare(self, request: PrepareRequest) -> None:
        """initdb, configure, run, enable statement statistics, then create databases and
        users; converges on re-run."""
        self.validate(request)
        intent = replace(
            load_intent(self.intent_path) or EngineIntent(listen_address="", port=0),
            listen_address=request.listen_address or self.env.listen_address,
            port=request.port or self.env.port or self.default_port,
            running=True,
        )
        lifecycle.ensure_directories(self.layout, self.os_user)
        if lifecycle.initialise(self.layout, self.os_user):
            log.info("initialised data directory %s", self.layout.datadir)
        save_intent(self.intent_path, intent)
        self._converge(intent)
        with self.admin() as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            for database in request.databases:
                databases.ensure_database(conn, database)
        for user in request.users:
            users.ensure_user(self.admin, user)
        log.info(
            "prepared %d database(s) and %d user(s): %s",
            len(request.databases),
            len(request.users),
            ", ".join(u.name for u in request.users) or "-",
        )

    def start(self) -> None:
        """Start with the saved intent (a server running with an outdated configuration is
        reloaded, and restarted if a setting needs it); `Conflict` before the first prepare."""
        intent = self._saved_intent()
        save_intent(self.intent_path, intent.with_running(True))
        lifecycle.ensure_directories(self.layout, self.os_user)
        self._converge(intent)

    def stop(self) -> None:
        """Record that the server should be stopped, then stop it (fast shutdown)."""
        intent = load_intent(self.intent_path)
        if intent is not None:
            save_intent(self.intent_path, intent.with_running(False))
        pid = lifecycle.find_pid(self.layout)
        if pid is None:
            return
        log.info("stopping postgres (pid %d)", pid)
        lifecycle.stop(self.layout, self.env.stop_timeout_seconds)

    def state(self) -> EngineState:
        """running / starting from the process; failed when meant to run but absent."""
        if self._starting:
            return EngineState.STARTING
        if self.state_is_running():
            return EngineState.RUNNING
        intent = load_intent(self.intent_path)
        return EngineState.FAILED if intent and intent.running else EngineState.STOPPED

    def state_is_running(self) -> bool:
        return lifecycle.find_pid(self.layout) is not None

    def health(self) -> EngineHealth:
        """`SELECT 1` over the private socket."""
        intent = load_intent(self.intent_path)
        if intent is None or not self.layout.socket_dir.is_dir():
            return EngineHealth(healthy=False, detail="not prepared")
        return sql.probe(self.layout.socket_dir, intent.port)

    def log_files(self) -> list[Path]:
        """The server log, the start-up output and initdb's log."""
        return sorted(self.layout.log_dir.glob("*"))

    def resize(self, memory_mib: int, vcpus: int) -> None:
        """Persist the new limits; a running server is restarted once if its sizing changed."""
        intent = replace(self._saved_intent(), memory_mib=memory_mib, vcpus=vcpus)
        save_intent(self.intent_path, intent)
        log.info("resized to %d MiB, %d vCPU(s)", memory_mib, vcpus)
        if intent.running:
            self._converge(intent)

    def sample_metrics(self) -> EngineMetrics:
        """pg_stat_database and pg_stat_activity over the private socket (see `metrics`)."""
        intent = load_intent(self.intent_path)
        if intent is None:
            return EngineMetrics(up=False)
        return metrics.sample(self.layout.socket_dir, intent.port)

    def top_queries(self, limit: int) -> list[QueryDigest]:
        """pg_stat_statements by total execution time."""
        return metrics.top_queries(self.layout.socket_dir, self.port(), limit)

    def backup_stream(self, kind: BackupKind, parent_checkpoint: str | None) -> BackupStream:
        """`pg_basebackup` of the running server as one tar stream (see `backup`)."""
        backup.check_kind(kind, parent_checkpoint)
        if lifecycle.find_pid(self.layout) is None:
            raise Conflict("the database server is not running")
        if kind is BackupKind.INCREMENTAL:
            return backup.WalPointStream(self.switch_wal())
        return backup.BaseBackupStream(self.layout, self.port())

    def stage_restore(self, parts: Iterable[PartStream]) -> None:
        """Unpack each part's tar into the staging dir (see `restore`)."""
        count = restore.stage(self.layout, parts)
        log.info("staged a restore of %d part(s)", count)

    def stale_scratch(self) -> list[Path]:
        """See `restore.stale_scratch`."""
        return restore.stale_scratch(self.layout)

    def finish_restore(self) -> None:
        """Move the staged base backup into place, then start with the agent's address and
        port (or those of an earlier intent), recovering to the backup's end, and check that
        the server answers."""
        target = restore.finish(self.layout, self.os_user, self.wal_restore)
        intent = load_intent(self.intent_path) or EngineIntent(
            listen_address=self.env.listen_address, port=self.env.port or self.default_port
        )
        lifecycle.ensure_directories(self.layout, self.os_user)
        save_intent(self.intent_path, intent.with_running(True))
        if target is not None:
            auto_conf = self.layout.datadir / "postgresql.auto.conf"
            lifecycle.write_file(
                auto_conf, wal.recovery_settings(self.wal_restore, target), self.os_user
            )
            lifecycle.write_file(self.layout.datadir / "recovery.signal", "", self.os_user)
            log.info("recovering from archived WAL to %s", target)
        self._converge(intent)
        if target is not None:
            wal.wait_promoted(self.admin, self.state_is_running, wal.PROMOTE_TIMEOUT_SECONDS)
            lifecycle.write_file(auto_conf, "", self.os_user)
            shutil.rmtree(self.wal_restore, ignore_errors=True)
            self.reload()
            log.info("recovered to %s and promoted", target)
        health = self.health()
        if not health.healthy:
            raise InfrastructureError("the restored server does not answer", detail=health.detail)
        log.info("restored data started (%s)", health.version)

    # Continuous WAL archiving (see `wal`) -------------------------------------------------

    def wal_segments(self) -> list[WalSegment]:
        return wal.segments(self.wal_spool)

    def wal_segment_file(self, name: str) -> Path:
        return wal.segment_file(self.wal_spool, name)

    def acknowledge_wal_segment(self, name: str) -> None:
        wal.acknowledge(self.wal_spool, name)

    def switch_wal(self) -> WalSwitch:
        if lifecycle.find_pid(self.layout) is None:
            raise Conflict("the database server is not running")
        with self.admin() as conn:
            return wal.switch(conn)

    # Files and convergence ---------------------------------------------------------------

    def port(self) -> int:
        return self._saved_intent().port

    def render(self, intent: EngineIntent) -> str:
        """postgresql.conf for an intent: managed settings, sizing for its memory limit (the
        agent's unless resized), log switches, then the overrides (a later line wins)."""
        overrides = dict(intent.parameters)
        slow = overrides.pop(logs.SLOW_THRESHOLD_PARAMETER, None)
        sizing = config.size_for(intent.memory_mib or self.env.memory_mib)
        return config.render_conf(
            [
                (
                    "managed by the service",
                    config.managed(self.layout, intent.listen_address, intent.port),
                ),
                ("sized for the memory limit", config.sized(sizing)),
                (
                    "log switches",
                    logs.settings(intent.enabled_logs, None if slow is None else int(slow)),
                ),
                ("continuous WAL archiving to the spool", wal.settings(self.wal_spool)),
                ("configuration group", overrides),
            ]
        )

    def write_configuration(self, intent: EngineIntent) -> bool:
        """Write postgresql.conf, pg_hba.conf and pg_ident.conf; whether any changed."""
        changed = False
        wal.ensure_spool(self.wal_spool, self.os_user)
        for path, text in (
            (self.layout.conf, self.render(intent)),
            (self.layout.datadir / "pg_hba.conf", config.render_hba()),
            (self.layout.datadir / "pg_ident.conf", config.render_ident()),
        ):
            changed |= lifecycle.write_file(path, text, self.os_user)
        return changed

    def reload(self) -> set[str]:
        """Reload the running server's configuration; the settings waiting for a restart."""
        with self.admin() as conn:
            before = parameters.reload(conn)
        parameters.wait_reloaded(self.admin, before)
        with self.admin() as conn:
            return parameters.pending_restart(conn)

    def _saved_intent(self) -> EngineIntent:
        intent = load_intent(self.intent_path)
        if intent is None or not self.layout.datadir.is_dir():
            raise Conflict("the engine has not been prepared yet")
        return intent

    def _converge(self, intent: EngineIntent) -> None:
        """Make the running server match the rendered files: keep, reload (and restart when
        a setting needs it), or launch."""
        changed = self.write_configuration(intent)
        if lifecycle.find_pid(self.layout) is not None:
            lifecycle.wait_ready(self.layout, intent.port, self.env.start_timeout_seconds)
            if not changed or not self.reload():
                return
            log.info("configuration changed; restarting postgres")
            lifecycle.stop(self.layout, self.env.stop_timeout_seconds)
        self.layout.pidfile.unlink(missing_ok=True)  # stale: names no server of ours
        self._starting = True
        try:
            pid = lifecycle.launch(
                self.layout, intent.port, self.os_user, self.env.start_timeout_seconds
            )
        finally:
            self._starting = False
        save_intent(self.intent_path, intent.with_running(True))
        log.info("postgres started (pid %d) on %s:%d", pid, intent.listen_address, intent.port)
