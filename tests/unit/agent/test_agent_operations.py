"""Background operations: outcome, scrubbed errors, one at a time."""

from __future__ import annotations

import threading
import time

import pytest

from strongroom.contracts.agent import OperationKind, OperationState, OperationStatus
from strongroom.contracts.errors import Conflict, InfrastructureError, NotFound
from strongroom_agent.operations import OperationRunner

pytestmark = pytest.mark.unit


def finished(runner: OperationRunner, operation_id: str) -> OperationStatus:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        record = runner.get(operation_id)
        if record.state is not OperationState.RUNNING:
            return record
        time.sleep(0.01)
    raise AssertionError("operation did not finish")


def test_success_is_recorded() -> None:
    runner = OperationRunner()
    record = runner.submit(OperationKind.START, lambda: None)
    done = finished(runner, record.operation_id)
    assert done.state is OperationState.SUCCEEDED
    assert done.finished_at is not None and done.error is None


def test_failure_keeps_code_and_retryable_and_scrubs_secrets() -> None:
    def work() -> None:
        raise InfrastructureError("failed near 's3cr3t'", detail="pw=s3cr3t", retryable=True)

    runner = OperationRunner()
    done = finished(runner, runner.submit(OperationKind.PREPARE, work, ["s3cr3t"]).operation_id)
    assert done.state is OperationState.FAILED
    assert done.error is not None
    assert done.error.code == "infrastructure" and done.error.retryable
    assert "s3cr3t" not in done.model_dump_json()


def test_unexpected_exceptions_are_reported_too() -> None:
    def work() -> None:
        raise RuntimeError("boom with pw")

    runner = OperationRunner()
    done = finished(runner, runner.submit(OperationKind.STOP, work, ["pw"]).operation_id)
    assert done.error is not None and done.error.code == "internal"
    assert done.error.message == "RuntimeError: boom with ***"


def test_second_operation_conflicts_while_one_runs() -> None:
    gate = threading.Event()
    runner = OperationRunner()
    first = runner.submit(OperationKind.RESTART, gate.wait)
    with pytest.raises(Conflict):
        runner.submit(OperationKind.STOP, lambda: None)
    gate.set()
    finished(runner, first.operation_id)
    finished(runner, runner.submit(OperationKind.STOP, lambda: None).operation_id)


def test_unknown_operation_is_not_found() -> None:
    with pytest.raises(NotFound):
        OperationRunner().get("nope")


def test_synchronous_changes_and_operations_exclude_each_other() -> None:
    runner = OperationRunner()
    with runner.exclusive("create user"):
        with pytest.raises(Conflict, match="create user"):
            runner.submit(OperationKind.RESTART, lambda: None)
        with pytest.raises(Conflict), runner.exclusive("create database"):
            pass
    gate = threading.Event()
    record = runner.submit(OperationKind.RESIZE, gate.wait)
    with pytest.raises(Conflict), runner.exclusive("create user"):
        pass
    gate.set()
    assert finished(runner, record.operation_id).state is OperationState.SUCCEEDED
    with runner.exclusive("create user"):
        pass
