"""Long operations: each runs in a background thread under an id the control plane polls.

One operation runs at a time (the engine is one process); a second request meanwhile gets
`Conflict`. Synchronous changes (databases, users, configuration) hold the same slot for their
duration (`exclusive`), so they never interleave with a restart or with each other.
Records live in memory: after an agent restart an old id is unknown (404) and the control
plane re-submits, which is safe because every operation is idempotent.
"""

from __future__ import annotations

import logging
import threading
import traceback
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from strongroom.contracts.agent import ErrorDetail, OperationKind, OperationState, OperationStatus
from strongroom.contracts.errors import Conflict, NotFound, StrongroomError

log = logging.getLogger(__name__)

KEEP_FINISHED = 200


class OperationRunner:
    """Starts operations in threads and remembers their outcome."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: OrderedDict[str, OperationStatus] = OrderedDict()
        self._running: str | None = None

    def submit(
        self, kind: OperationKind, work: Callable[[], None], secrets: list[str] | None = None
    ) -> OperationStatus:
        """Run `work` in a thread; `secrets` are scrubbed from any error it reports."""
        with self._lock:
            if self._running is not None:
                raise Conflict(f"operation {self._running} is still running")
            record = OperationStatus(
                operation_id=str(uuid.uuid4()),
                kind=kind,
                state=OperationState.RUNNING,
                started_at=datetime.now(UTC),
            )
            self._store(record)
            self._running = record.operation_id
        thread = threading.Thread(
            target=self._run, args=(record, work, secrets or []), name=f"op-{kind}", daemon=True
        )
        thread.start()
        return record

    @contextmanager
    def exclusive(self, what: str) -> Iterator[None]:
        """Hold the operation slot while a synchronous change named `what` runs; `Conflict`
        if an operation or another change holds it."""
        with self._lock:
            if self._running is not None:
                raise Conflict(f"operation {self._running} is still running")
            self._running = what
        try:
            yield
        finally:
            with self._lock:
                self._running = None

    def get(self, operation_id: str) -> OperationStatus:
        """The record of one operation; `NotFound` if unknown (e.g. the agent restarted)."""
        with self._lock:
            record = self._records.get(operation_id)
        if record is None:
            raise NotFound(f"operation {operation_id} is unknown")
        return record

    def _run(self, record: OperationStatus, work: Callable[[], None], secrets: list[str]) -> None:
        log.info("operation %s (%s) started", record.operation_id, record.kind)
        error: ErrorDetail | None = None
        try:
            work()
        except Exception as exc:
            error = describe_error(exc, secrets)
            if not isinstance(exc, StrongroomError):
                trace = "".join(traceback.format_exception(exc))
                log.error("operation %s crashed: %s", record.operation_id, scrub(trace, secrets))
            log.error(
                "operation %s (%s) failed: %s",
                record.operation_id,
                record.kind,
                error.message if error.detail is None else f"{error.message}; {error.detail}",
            )
        final = record.model_copy(
            update={
                "state": OperationState.FAILED if error else OperationState.SUCCEEDED,
                "finished_at": datetime.now(UTC),
                "error": error,
            }
        )
        with self._lock:
            self._store(final)
            self._running = None
        log.info("operation %s (%s) %s", record.operation_id, record.kind, final.state)

    def _store(self, record: OperationStatus) -> None:
        self._records[record.operation_id] = record
        self._records.move_to_end(record.operation_id)
        while len(self._records) > KEEP_FINISHED:
            self._records.popitem(last=False)


def describe_error(exc: Exception, secrets: list[str]) -> ErrorDetail:
    """An error as reported to the control plane, with every secret scrubbed out."""
    if isinstance(exc, StrongroomError):
        detail = ErrorDetail(
            code=exc.code, message=exc.message, detail=exc.detail, retryable=exc.retryable
        )
    else:
        detail = ErrorDetail(code="internal", message=f"{type(exc).__name__}: {exc}")
    return ErrorDetail(
        code=detail.code,
        message=scrub(detail.message, secrets),
        detail=scrub(detail.detail, secrets) if detail.detail else None,
        retryable=detail.retryable,
    )


def scrub(text: str, secrets: list[str]) -> str:
    """`text` with each secret replaced by `***`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
