"""The agent's engine supervision, on a stand-in engine and a hand-driven clock: a crash it
saw is started again with doubling pauses, at most N times in the window, then it gives up
once; a requested stop, an engine down since before the agent started, and a running
operation are left alone."""

from __future__ import annotations

from typing import Any

import pytest

from strongroom.contracts.agent import EngineState, RestartOutcome
from strongroom.contracts.errors import InfrastructureError
from strongroom_agent.operations import OperationRunner
from strongroom_agent.supervisor import EngineSupervisor, RestartPolicy

pytestmark = pytest.mark.unit


class StandInEngine:
    """Only what the supervisor uses: `state` and `start` (which may be told to fail)."""

    def __init__(self) -> None:
        self.current = EngineState.RUNNING
        self.starts = 0
        self.start_fails = False

    def state(self) -> EngineState:
        return self.current

    def start(self) -> None:
        self.starts += 1
        if self.start_fails:
            raise InfrastructureError("mariadbd exited 1", detail="[ERROR] bad things")
        self.current = EngineState.RUNNING


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def supervisor(engine: StandInEngine, clock: Clock, runner: Any = None) -> EngineSupervisor:
    policy = RestartPolicy(attempts=2, window_seconds=600, backoff_seconds=4)
    return EngineSupervisor(engine, runner or OperationRunner(), policy, clock)  # type: ignore[arg-type]


def test_a_crash_is_started_again_with_pauses_then_given_up() -> None:
    engine, clock = StandInEngine(), Clock()
    watch = supervisor(engine, clock)
    watch.begin()
    engine.current = EngineState.FAILED
    watch.check()
    assert engine.starts == 1 and engine.current is EngineState.RUNNING
    assert [(r.attempt, r.outcome) for r in watch.history()] == [(1, RestartOutcome.RESTARTED)]

    watch.check()
    engine.current = EngineState.FAILED
    engine.start_fails = True
    watch.check()  # within the 4 s pause after attempt 1
    assert engine.starts == 1
    clock.now += 4
    watch.check()
    assert engine.starts == 2 and watch.history()[-1].outcome is RestartOutcome.FAILED
    assert "mariadbd exited 1" in watch.history()[-1].detail
    clock.now += 60
    watch.check()
    watch.check()  # gives up once, not at every look
    assert engine.starts == 2
    assert [r.outcome for r in watch.history()].count(RestartOutcome.GAVE_UP) == 1

    clock.now += 600  # the window has passed, but it stays given up until seen running
    watch.check()
    assert engine.starts == 2
    engine.start_fails = False
    engine.current = EngineState.RUNNING  # someone started it
    watch.check()
    engine.current = EngineState.FAILED
    watch.check()
    assert engine.starts == 3 and engine.current is EngineState.RUNNING


def test_stops_on_purpose_and_engines_down_at_agent_start_are_left_alone() -> None:
    engine, clock = StandInEngine(), Clock()
    engine.current = EngineState.FAILED  # down before this agent ever saw it run
    watch = supervisor(engine, clock)
    watch.begin()
    watch.check()
    assert engine.starts == 0 and watch.history() == []
    engine.current = EngineState.STOPPED
    watch.check()
    assert engine.starts == 0


def test_a_running_operation_owns_the_engine() -> None:
    engine, clock, runner = StandInEngine(), Clock(), OperationRunner()
    watch = supervisor(engine, clock, runner)
    watch.begin()
    engine.current = EngineState.FAILED
    with runner.exclusive("a restart the control plane asked for"):
        watch.check()
    assert engine.starts == 0
    watch.check()
    assert engine.starts == 1
