"""The control plane's mutual-TLS client for one guest agent.

The agent's certificate must chain to the control plane's CA *and* name the expected
instance: the TLS handshake verifies the hostname against `instance_id` (the server
certificate's DNS SAN), so another instance's valid certificate is refused before any request
body (which may carry passwords) is sent. Every failure becomes `InfrastructureError`.
"""

from __future__ import annotations

import ssl
import time
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from strongroom.contracts import agent as contract
from strongroom.contracts.agent import (
    ErrorResponse,
    OperationAccepted,
    OperationState,
    OperationStatus,
    PrepareRequest,
    StatusResponse,
)
from strongroom.contracts.errors import InfrastructureError

ModelT = TypeVar("ModelT", bound=BaseModel)

POLL_INITIAL_SECONDS = 0.1
POLL_MAX_SECONDS = 0.5
_RETRYABLE_STATUSES = frozenset({409, 502, 503, 504})
# An unknown operation means the agent restarted: re-submitting (idempotent) is the remedy.
_RETRYABLE_FOR_OPERATIONS = _RETRYABLE_STATUSES | {404}


def client_ssl_context(ca_cert: Path, client_cert: Path, client_key: Path) -> ssl.SSLContext:
    """TLS 1.2+ context: verify the agent against `ca_cert`, present the control plane's cert."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cafile=str(ca_cert))
    context.load_cert_chain(certfile=str(client_cert), keyfile=str(client_key))
    return context


class AgentClient:
    """Typed calls to one instance's agent, mirroring `strongroom.contracts.agent`."""

    def __init__(
        self,
        address: str,
        port: int,
        instance_id: str,
        ca_cert_path: Path,
        client_cert_path: Path,
        client_key_path: Path,
        timeout: float = 10.0,
    ) -> None:
        self.instance_id = instance_id
        host = f"[{address}]" if ":" in address else address
        context = client_ssl_context(ca_cert_path, client_cert_path, client_key_path)
        self._http = httpx.Client(
            base_url=f"https://{host}:{port}", verify=context, timeout=timeout, trust_env=False
        )

    def __enter__(self) -> AgentClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def status(self) -> StatusResponse:
        """Agent version, engine state and health, volume usage."""
        return self._call("GET", contract.PATH_STATUS, StatusResponse)

    def prepare(self, spec: PrepareRequest) -> str:
        """Start converging the instance to `spec`; returns the operation id."""
        body = spec.model_dump(mode="json")
        return self._call("POST", contract.PATH_PREPARE, OperationAccepted, body).operation_id

    def start(self) -> str:
        """Start the engine; returns the operation id."""
        return self._call("POST", contract.PATH_ENGINE_START, OperationAccepted).operation_id

    def stop(self) -> str:
        """Stop the engine; returns the operation id."""
        return self._call("POST", contract.PATH_ENGINE_STOP, OperationAccepted).operation_id

    def restart(self) -> str:
        """Restart the engine; returns the operation id."""
        return self._call("POST", contract.PATH_ENGINE_RESTART, OperationAccepted).operation_id

    def operation(self, operation_id: str) -> OperationStatus:
        """One poll of an operation (unknown to a restarted agent: retryable error)."""
        path = contract.operation_path(operation_id)
        return self._call("GET", path, OperationStatus, retryable=_RETRYABLE_FOR_OPERATIONS)

    def wait_operation(self, operation_id: str, timeout: float) -> OperationStatus:
        """Poll until the operation finishes. A failed operation raises `InfrastructureError`
        carrying the agent's message and retryability; so does running out of `timeout`."""
        deadline = time.monotonic() + timeout
        delay = POLL_INITIAL_SECONDS
        while True:
            record = self.operation(operation_id)
            if record.state is OperationState.SUCCEEDED:
                return record
            if record.state is OperationState.FAILED:
                raise _operation_failed(record)
            if time.monotonic() + delay > deadline:
                raise InfrastructureError(
                    f"agent operation {record.kind} did not finish within {timeout:.0f}s",
                    detail=f"instance {self.instance_id}, operation {operation_id}",
                    retryable=True,
                )
            time.sleep(delay)
            delay = min(delay * 2, POLL_MAX_SECONDS)

    def _call(
        self,
        method: str,
        path: str,
        model: type[ModelT],
        body: dict[str, Any] | None = None,
        retryable: frozenset[int] = _RETRYABLE_STATUSES,
    ) -> ModelT:
        try:
            response = self._http.request(
                method, path, json=body, extensions={"sni_hostname": self.instance_id}
            )
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc
        if response.status_code >= 400:
            raise self._http_error(response, retryable)
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise InfrastructureError(
                "the agent answered outside the contract",
                detail=f"instance {self.instance_id}, {method} {path}: {exc.error_count()} errors",
            ) from exc

    def _transport_error(self, exc: httpx.HTTPError) -> InfrastructureError:
        if _caused_by(exc, ssl.SSLCertVerificationError):
            return InfrastructureError(
                "the agent's certificate was refused",
                detail=f"instance {self.instance_id}: {_root_cause(exc)}",
                retryable=False,
            )
        return InfrastructureError(
            "the guest agent is unreachable",
            detail=f"instance {self.instance_id}: {type(exc).__name__}: {_root_cause(exc)}",
            retryable=True,
        )

    def _http_error(
        self, response: httpx.Response, retryable: frozenset[int]
    ) -> InfrastructureError:
        where = (
            f"instance {self.instance_id}, {response.request.method} {response.request.url.path}"
        )
        try:
            error = ErrorResponse.model_validate_json(response.content).error
        except ValidationError:
            return InfrastructureError(
                f"the agent answered HTTP {response.status_code}",
                detail=where,
                retryable=response.status_code in retryable,
            )
        return InfrastructureError(
            f"agent: {error.message}",
            detail=f"{where}: HTTP {response.status_code} {error.code}",
            retryable=error.retryable or response.status_code in retryable,
        )


def _operation_failed(record: OperationStatus) -> InfrastructureError:
    error = record.error
    message = error.message if error else "no error reported"
    detail = f"operation {record.operation_id} ({record.kind})"
    if error and error.detail:
        detail += f": {error.detail}"
    return InfrastructureError(
        f"agent {record.kind} failed: {message}",
        detail=detail,
        retryable=bool(error and error.retryable),
    )


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, kind):
            return True
        current = current.__cause__ or current.__context__
    return False


def _root_cause(exc: BaseException) -> str:
    current = exc
    while current.__cause__ or current.__context__:
        current = current.__cause__ or current.__context__  # type: ignore[assignment]
    return str(current) or type(current).__name__
