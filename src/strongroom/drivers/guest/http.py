"""The control plane's mutual-TLS client for one guest agent.

The agent's certificate must chain to the control plane's CA *and* name the expected
instance: the TLS handshake verifies the hostname against `instance_id` (the server
certificate's DNS SAN), so another instance's valid certificate is refused before any request
body (which may carry passwords) is sent. Every failure becomes `InfrastructureError`, except
that the day-2 calls (databases, users, root, configuration, logs) raise the agent's
`BadRequest` (400) and `NotFound` (404) as such, with the agent's user-safe message, so that
the control plane can answer the user with them.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from strongroom.contracts import agent as contract
from strongroom.contracts.agent import (
    DEFAULT_USER_HOST,
    ConfigurationApplied,
    ConfigurationRequest,
    DatabaseList,
    DatabaseNames,
    DatabaseSpec,
    EffectiveConfiguration,
    ErrorResponse,
    LogChunk,
    LogList,
    LogSwitch,
    LogView,
    OperationAccepted,
    OperationState,
    OperationStatus,
    ParameterValue,
    PrepareRequest,
    ResizeRequest,
    RootEnableRequest,
    RootStatus,
    StatusResponse,
    UserList,
    UserSpec,
    UserUpdate,
    UserView,
)
from strongroom.contracts.backups import BackupRequest, StreamEncoding
from strongroom.contracts.errors import BadRequest, InfrastructureError, NotFound
from strongroom.contracts.framing import MEDIA_TYPE
from strongroom.contracts.metrics import MetricsSample, TopQueries
from strongroom.drivers.guest.backup_stream import BackupDownload, restore_body
from strongroom.drivers.guest.base import RestoreSource

ModelT = TypeVar("ModelT", bound=BaseModel)

POLL_INITIAL_SECONDS = 0.1
POLL_MAX_SECONDS = 0.5
_RETRYABLE_STATUSES = frozenset({409, 502, 503, 504})
# An unknown operation means the agent restarted: re-submitting (idempotent) is the remedy.
_RETRYABLE_FOR_OPERATIONS = _RETRYABLE_STATUSES | {404}
_TYPED_ERRORS: dict[int, type[BadRequest] | type[NotFound]] = {400: BadRequest, 404: NotFound}
STREAM_TIMEOUT = httpx.Timeout(10.0, read=600.0, write=600.0)
"""Backup and restore bodies: the engine may pause long between chunks (a lock, a prepare)."""


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
        context: ssl.SSLContext | None = None,
    ) -> None:
        """`context`: a ready `client_ssl_context` of the same files, to share one between
        clients (building it reads the CA and the key: a few ms)."""
        self.instance_id = instance_id
        host = f"[{address}]" if ":" in address else address
        if context is None:
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

    def resize(self, memory_mib: int, vcpus: int) -> str:
        """Re-size the engine for new limits (one restart); returns the operation id."""
        body = ResizeRequest(memory_mib=memory_mib, vcpus=vcpus).model_dump(mode="json")
        path = contract.PATH_ENGINE_RESIZE
        return self._call("POST", path, OperationAccepted, body).operation_id

    # Databases (synchronous) -----------------------------------------------------------

    def list_databases(self) -> list[DatabaseSpec]:
        """User databases with character set and collation."""
        return self._call("GET", contract.PATH_DATABASES, DatabaseList, typed=True).databases

    def create_database(self, database: DatabaseSpec) -> None:
        """Create a database (no-op if it exists); `BadRequest` for a bad or reserved name."""
        body = database.model_dump(mode="json")
        self._send("POST", contract.PATH_DATABASES, body, typed=True)

    def delete_database(self, name: str) -> None:
        """Drop a database (no-op if absent) and every grant on it."""
        self._send("DELETE", contract.database_path(_segment(name)), typed=True)

    # Users (synchronous) ---------------------------------------------------------------

    def list_users(self) -> list[UserView]:
        """Users (never reserved ones) with their databases."""
        return self._call("GET", contract.PATH_USERS, UserList, typed=True).users

    def get_user(self, name: str, host: str = DEFAULT_USER_HOST) -> UserView:
        """One user; `NotFound` if absent, `BadRequest` for a reserved name."""
        path = contract.user_path(_segment(name))
        return self._call("GET", path, UserView, params={"host": host}, typed=True)

    def create_user(self, user: UserSpec) -> UserView:
        """Create a user (or converge its password and grants); `BadRequest` for a reserved
        name or a database that does not exist."""
        body = user.model_dump(mode="json")
        return self._call("POST", contract.PATH_USERS, UserView, body, typed=True)

    def update_user(self, name: str, change: UserUpdate, host: str = DEFAULT_USER_HOST) -> UserView:
        """Change a user's password, name or host (grants follow); returns the user after."""
        path = contract.user_path(_segment(name))
        body = change.model_dump(mode="json", exclude_none=True)
        return self._call("PUT", path, UserView, body, params={"host": host}, typed=True)

    def delete_user(self, name: str, host: str = DEFAULT_USER_HOST) -> None:
        """Drop a user (no-op if absent)."""
        path = contract.user_path(_segment(name))
        self._send("DELETE", path, params={"host": host}, typed=True)

    def user_databases(self, name: str, host: str = DEFAULT_USER_HOST) -> list[str]:
        """Databases the user has access to."""
        path = contract.user_databases_path(_segment(name))
        return self._call("GET", path, DatabaseNames, params={"host": host}, typed=True).databases

    def grant_databases(
        self, name: str, databases: list[str], host: str = DEFAULT_USER_HOST
    ) -> list[str]:
        """Give the user all privileges on each database; returns its databases after."""
        path = contract.user_databases_path(_segment(name))
        body = DatabaseNames(databases=databases).model_dump(mode="json")
        answer = self._call("PUT", path, DatabaseNames, body, params={"host": host}, typed=True)
        return answer.databases

    def revoke_database(self, name: str, database: str, host: str = DEFAULT_USER_HOST) -> None:
        """Take away the user's access to one database."""
        path = contract.user_database_path(_segment(name), _segment(database))
        self._send("DELETE", path, params={"host": host}, typed=True)

    # Root (synchronous) ----------------------------------------------------------------

    def root_enabled(self) -> bool:
        """Whether the network superuser exists now."""
        return self._call("GET", contract.PATH_ROOT, RootStatus, typed=True).enabled

    def enable_root(self, password: str | SecretStr) -> None:
        """Create or re-password `root` reachable over the network with `password`."""
        request = RootEnableRequest(password=SecretStr(_reveal(password)))
        body = request.model_dump(mode="json")
        self._call("POST", contract.PATH_ROOT, RootStatus, body, typed=True)

    def disable_root(self) -> None:
        """Remove the network superuser."""
        self._send("DELETE", contract.PATH_ROOT, typed=True)

    # Configuration and logs (synchronous) ----------------------------------------------

    def apply_configuration(
        self, values: dict[str, ParameterValue], dynamic_names: list[str]
    ) -> list[str]:
        """Replace the overrides (empty: defaults); returns names needing a restart."""
        request = ConfigurationRequest(values=values, dynamic_names=dynamic_names)
        path = contract.PATH_CONFIGURATION
        body = request.model_dump(mode="json")
        return self._call("PUT", path, ConfigurationApplied, body, typed=True).restart_required

    def effective_configuration(self, names: list[str]) -> dict[str, str]:
        """Values from the running engine (every variable when `names` is empty)."""
        path = contract.PATH_CONFIGURATION
        params = {"name": names}
        return self._call("GET", path, EffectiveConfiguration, params=params, typed=True).values

    def list_logs(self) -> list[LogView]:
        """The engine's logs with type, switch and size."""
        return self._call("GET", contract.PATH_LOGS, LogList, typed=True).logs

    def set_log_enabled(self, name: str, enabled: bool) -> LogView:
        """Switch an optional log on or off; `BadRequest` for a SYS log."""
        body = LogSwitch(enabled=enabled).model_dump(mode="json")
        path = contract.log_path(_segment(name))
        return self._call("PUT", path, LogView, body, typed=True)

    def read_log(self, name: str, offset: int | None = None, length: int = 65536) -> LogChunk:
        """`length` bytes of a log from `offset`, or its tail when `offset` is None."""
        params: dict[str, Any] = {"length": length}
        if offset is not None:
            params["offset"] = offset
        path = contract.log_content_path(_segment(name))
        return self._call("GET", path, LogChunk, params=params, typed=True)

    # Metrics (reads) ---------------------------------------------------------------------

    def metrics(self) -> MetricsSample:
        """One sample of the engine's counters and the volume's space."""
        return self._call("GET", contract.PATH_METRICS, MetricsSample)

    def top_queries(self, limit: int = 20) -> TopQueries:
        """The engine's statement digests with the largest total time."""
        params = {"limit": limit}
        return self._call("GET", contract.PATH_TOP_QUERIES, TopQueries, params=params)

    # Backups and restore --------------------------------------------------------------

    @contextmanager
    def backup(self, request: BackupRequest) -> Iterator[BackupDownload]:
        """Stream a backup from the agent; the connection closes (stopping the backup tool)
        when the block exits. An agent that predates `request.encoding` refuses the field
        (400 naming it): then the native stream is asked for instead."""
        try:
            with self._backup_response(request) as response:
                if _refuses_encoding(request, response):
                    request = request.model_copy(update={"encoding": StreamEncoding.NATIVE})
                else:
                    yield BackupDownload(response.iter_raw(), self.instance_id, request.encoding)
                    return
            with self._backup_response(request) as response:
                yield BackupDownload(response.iter_raw(), self.instance_id, request.encoding)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc

    @contextmanager
    def _backup_response(self, request: BackupRequest) -> Iterator[httpx.Response]:
        with self._http.stream(
            "POST",
            contract.PATH_BACKUPS,
            json=request.model_dump(mode="json", exclude_defaults=True),
            timeout=STREAM_TIMEOUT,
            extensions={"sni_hostname": self.instance_id},
        ) as response:
            if response.status_code >= 400:
                response.read()
                if not _refuses_encoding(request, response):
                    raise self._http_error(response, _RETRYABLE_STATUSES)
            yield response

    def restore(self, parts: list[RestoreSource]) -> str:
        """Send the parts (full first) for the agent to stage; returns the operation id of
        the rest of the restore. An error raised by a part aborts the body mid-way, which
        the agent refuses as truncated."""
        try:
            response = self._http.post(
                contract.PATH_RESTORE,
                content=restore_body(parts),
                headers={"content-type": MEDIA_TYPE},
                timeout=STREAM_TIMEOUT,
                extensions={"sni_hostname": self.instance_id},
            )
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc
        if response.status_code >= 400:
            raise self._http_error(response, _RETRYABLE_STATUSES)
        return OperationAccepted.model_validate_json(response.content).operation_id

    # Continuous WAL archiving ----------------------------------------------------------

    def wal_segments(self) -> list[contract.WalSegment]:
        """The WAL files spooled on the instance, oldest first."""
        return self._call("GET", contract.PATH_WAL_SEGMENTS, contract.WalSegmentList).segments

    def wal_segment(self, name: str) -> bytes:
        """One spooled WAL file's bytes (at most a segment, 16 MiB by default)."""
        path = contract.wal_segment_path(_segment(name))
        return self._send("GET", path, typed=True).content

    def acknowledge_wal_segment(self, name: str) -> None:
        """The file is stored: the agent removes it from the spool."""
        self._send("DELETE", contract.wal_segment_path(_segment(name)))

    def switch_wal(self) -> contract.WalSwitch:
        """Close the engine's current WAL file (the archiver spools it)."""
        return self._call("POST", contract.PATH_WAL_SWITCH, contract.WalSwitch)

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
        *,
        params: dict[str, Any] | None = None,
        typed: bool = False,
    ) -> ModelT:
        response = self._send(method, path, body, retryable, params=params, typed=typed)
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise InfrastructureError(
                "the agent answered outside the contract",
                detail=f"instance {self.instance_id}, {method} {path}: {exc.error_count()} errors",
            ) from exc

    def _send(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        retryable: frozenset[int] = _RETRYABLE_STATUSES,
        *,
        params: dict[str, Any] | None = None,
        typed: bool = False,
    ) -> httpx.Response:
        try:
            response = self._http.request(
                method,
                path,
                json=body,
                params=params,
                extensions={"sni_hostname": self.instance_id},
            )
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc
        if response.status_code >= 400:
            if typed and response.status_code in _TYPED_ERRORS:
                raise _typed_error(response) or self._http_error(response, retryable)
            raise self._http_error(response, retryable)
        return response

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


def _refuses_encoding(request: BackupRequest, response: httpx.Response) -> bool:
    """Whether an agent older than `BackupRequest.encoding` refused the field."""
    return (
        request.encoding is not StreamEncoding.NATIVE
        and response.status_code == 400
        and b"encoding" in response.content
    )


def _typed_error(response: httpx.Response) -> BadRequest | NotFound | None:
    """The agent's 400/404 as the catalog's type, or None if the body is not the contract's."""
    try:
        error = ErrorResponse.model_validate_json(response.content).error
    except ValidationError:
        return None
    return _TYPED_ERRORS[response.status_code](error.message, detail=error.detail)


def _reveal(password: str | SecretStr) -> str:
    return password.get_secret_value() if isinstance(password, SecretStr) else password


def _segment(name: str) -> str:
    """A name as one URL path segment."""
    return quote(name, safe="")


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
