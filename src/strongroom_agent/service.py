"""What the agent's routes call: status and the operations on the engine."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from strongroom.contracts.agent import (
    OperationAccepted,
    OperationKind,
    OperationStatus,
    PrepareRequest,
    ResizeRequest,
    StatusResponse,
)
from strongroom_agent import __version__, volume
from strongroom_agent.administration import AdministrationService
from strongroom_agent.boot import is_fresh_volume
from strongroom_agent.engines.base import Engine
from strongroom_agent.operations import OperationRunner, describe_error
from strongroom_agent.supervisor import EngineSupervisor, RestartPolicy

log = logging.getLogger(__name__)


class AgentService:
    """The agent's use cases for one instance and its engine."""

    def __init__(self, instance_id: str, engine: Engine, runner: OperationRunner) -> None:
        self.instance_id = instance_id
        self.engine = engine
        self.runner = runner
        self.administration = AdministrationService(engine, runner)
        self._booted = threading.Event()
        self._booted.set()
        self.supervisor: EngineSupervisor | None = None

    def supervise(self, policy: RestartPolicy) -> None:
        """Watch the engine from now on and start it again when it crashes (`supervisor`)."""
        self.supervisor = EngineSupervisor(self.engine, self.runner, policy)
        self.supervisor.start()

    def initialise_at_boot(self, fresh: bool | None = None) -> bool:
        """Start the engine's secret-free initialisation (`Engine.initialise`) in the
        background if the data volume is fresh; returns whether it started. Operations
        submitted meanwhile (prepare first of all) run once it has ended, whatever its outcome:
        a failed or interrupted one is redone by `prepare`, which converges. A volume holding
        anything (an earlier boot, a prepare, a restore, a crash's leftovers) is left alone, so
        restarting the agent never starts an engine someone stopped. `fresh`: whether the
        volume was fresh when the agent started (`boot.head_start` may have written to it
        since); None: look now."""
        if fresh is None:
            fresh = is_fresh_volume(self.engine.env.data_dir)
        if not fresh:
            log.info("data volume in use: no engine initialisation at boot")
            return False
        self._booted.clear()
        threading.Thread(target=self._initialise, name="engine-boot", daemon=True).start()
        return True

    def _initialise(self) -> None:
        try:
            log.info("initialising the engine at boot")
            self.engine.initialise()
            log.info("engine initialised at boot")
        except Exception as exc:  # prepare redoes it and reports the failure to the caller
            error = describe_error(exc, [])
            log.warning(
                "initialising the engine at boot failed (prepare will redo it): %s%s",
                error.message,
                f"; {error.detail}" if error.detail else "",
            )
        finally:
            self._booted.set()

    def status(self) -> StatusResponse:
        """Agent version, engine state and health, volume usage."""
        return StatusResponse(
            agent_version=__version__,
            instance_id=self.instance_id,
            engine=self.engine.name,
            engine_state=self.engine.state(),
            health=self.engine.health(),
            volume=volume.usage(self.engine.env.data_dir),
            restarts=self.supervisor.history() if self.supervisor else [],
        )

    def prepare(self, request: PrepareRequest) -> OperationAccepted:
        """Validate now (400 on bad names), then prepare in the background."""
        self.engine.validate(request)
        return self._submit(
            OperationKind.PREPARE, lambda: self.engine.prepare(request), request.secrets()
        )

    def start(self) -> OperationAccepted:
        """Start the engine in the background."""
        return self._submit(OperationKind.START, self.engine.start)

    def stop(self) -> OperationAccepted:
        """Stop the engine in the background."""
        return self._submit(OperationKind.STOP, self.engine.stop)

    def restart(self) -> OperationAccepted:
        """Restart the engine in the background."""
        return self._submit(OperationKind.RESTART, self.engine.restart)

    def resize(self, request: ResizeRequest) -> OperationAccepted:
        """Re-size the engine for new limits (one restart) in the background."""
        return self._submit(
            OperationKind.RESIZE, lambda: self.engine.resize(request.memory_mib, request.vcpus)
        )

    def operation(self, operation_id: str) -> OperationStatus:
        """One operation's record."""
        return self.runner.get(operation_id)

    def _submit(
        self, kind: OperationKind, work: Callable[[], None], secrets: list[str] | None = None
    ) -> OperationAccepted:
        def after_boot() -> None:
            self._booted.wait()
            work()

        record = self.runner.submit(kind, after_boot, secrets)
        return OperationAccepted(
            operation_id=record.operation_id, kind=record.kind, state=record.state
        )
