"""The agent's route table: each handler parses, delegates to `AgentService`, returns; the
day-2 routes are in `accounts` and `configuration`."""

from __future__ import annotations

from fastapi import FastAPI

from strongroom.contracts import agent as contract
from strongroom.contracts.agent import (
    OperationAccepted,
    OperationStatus,
    PrepareRequest,
    ResizeRequest,
    StatusResponse,
)
from strongroom_agent import __version__
from strongroom_agent.backups import BackupService
from strongroom_agent.metrics import MetricsService
from strongroom_agent.server.accounts import account_routes
from strongroom_agent.server.backups import backup_routes
from strongroom_agent.server.configuration import configuration_routes
from strongroom_agent.server.errors import install_error_handlers
from strongroom_agent.server.metrics import metrics_routes
from strongroom_agent.server.wal import wal_routes
from strongroom_agent.service import AgentService


def create_app(service: AgentService) -> FastAPI:
    """The ASGI app serving the contract's paths for `service`."""
    app = FastAPI(
        title="strongroom-agent",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{contract.PREFIX}/openapi.json",
    )
    install_error_handlers(app)

    @app.get(contract.PATH_STATUS)
    def status() -> StatusResponse:
        return service.status()

    @app.post(contract.PATH_PREPARE, status_code=202)
    def prepare(request: PrepareRequest) -> OperationAccepted:
        return service.prepare(request)

    @app.post(contract.PATH_ENGINE_START, status_code=202)
    def start() -> OperationAccepted:
        return service.start()

    @app.post(contract.PATH_ENGINE_STOP, status_code=202)
    def stop() -> OperationAccepted:
        return service.stop()

    @app.post(contract.PATH_ENGINE_RESTART, status_code=202)
    def restart() -> OperationAccepted:
        return service.restart()

    @app.post(contract.PATH_ENGINE_RESIZE, status_code=202)
    def resize(request: ResizeRequest) -> OperationAccepted:
        return service.resize(request)

    @app.get(contract.PATH_OPERATION)
    def operation(operation_id: str) -> OperationStatus:
        return service.operation(operation_id)

    app.include_router(account_routes(service.administration))
    app.include_router(configuration_routes(service.administration))
    app.include_router(metrics_routes(MetricsService(service.engine)))
    app.include_router(backup_routes(BackupService(service.engine, service.runner)))
    app.include_router(wal_routes(service.engine))
    return app
