"""Routes for configuration and logs: each parses, delegates, returns."""

from __future__ import annotations

from fastapi import APIRouter, Query

from strongroom.contracts import agent as contract
from strongroom.contracts.agent import (
    LOG_CHUNK_MAX_BYTES,
    ConfigurationApplied,
    ConfigurationRequest,
    EffectiveConfiguration,
    LogChunk,
    LogList,
    LogSwitch,
    LogView,
)
from strongroom_agent.administration import AdministrationService

NAMES = Query(default_factory=list, alias="name", max_length=1000)
OFFSET = Query(None, ge=0, description="First byte to read; omitted: read the tail.")
LENGTH = Query(65536, ge=1, le=LOG_CHUNK_MAX_BYTES, description="Most bytes to read.")


def configuration_routes(admin: AdministrationService) -> APIRouter:
    """The configuration and log routes of `admin`."""
    router = APIRouter()

    @router.put(contract.PATH_CONFIGURATION)
    def apply_configuration(request: ConfigurationRequest) -> ConfigurationApplied:
        return admin.apply_configuration(request)

    @router.get(contract.PATH_CONFIGURATION)
    def effective_configuration(names: list[str] = NAMES) -> EffectiveConfiguration:
        return admin.effective_configuration(names)

    @router.get(contract.PATH_LOGS)
    def list_logs() -> LogList:
        return admin.list_logs()

    @router.put(contract.PATH_LOG)
    def set_log(name: str, switch: LogSwitch) -> LogView:
        return admin.set_log(name, switch.enabled)

    @router.get(contract.PATH_LOG_CONTENT)
    def read_log(name: str, offset: int | None = OFFSET, length: int = LENGTH) -> LogChunk:
        return admin.read_log(name, offset, length)

    return router
