"""What the agent's routes call: status and the operations on the engine."""

from __future__ import annotations

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
from strongroom_agent.engines.base import Engine
from strongroom_agent.operations import OperationRunner


class AgentService:
    """The agent's use cases for one instance and its engine."""

    def __init__(self, instance_id: str, engine: Engine, runner: OperationRunner) -> None:
        self.instance_id = instance_id
        self.engine = engine
        self.runner = runner
        self.administration = AdministrationService(engine, runner)

    def status(self) -> StatusResponse:
        """Agent version, engine state and health, volume usage."""
        return StatusResponse(
            agent_version=__version__,
            instance_id=self.instance_id,
            engine=self.engine.name,
            engine_state=self.engine.state(),
            health=self.engine.health(),
            volume=volume.usage(self.engine.env.data_dir),
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
        record = self.runner.submit(kind, work, secrets)
        return OperationAccepted(
            operation_id=record.operation_id, kind=record.kind, state=record.state
        )
