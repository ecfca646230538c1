"""Engine supervision: an engine meant to run that is found dead is started again.

The engine's own state says when: `failed` means its intent is to run and no server runs (a
stop the control plane asked for is `stopped` and left alone). Only a crash this agent saw
happen counts: an engine already down when the agent started (a sandbox restarted around an
offline volume grow, a host reboot) is the control plane's to start. An attempt takes the operation
slot, so it never interleaves with an operation the control plane started (a restart, a
resize, a restore); while one runs the check waits for the next round. Attempts are bounded:
at most `attempts` within `window_seconds`, each after a pause that doubles; then the agent
gives up once and the engine stays down until someone starts it. Every attempt is kept
(the latest few) for the control plane, which turns them into events.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from strongroom.contracts.agent import EngineRestart, EngineState, RestartOutcome
from strongroom.contracts.errors import Conflict
from strongroom_agent.engines.base import Engine
from strongroom_agent.operations import OperationRunner, describe_error

log = logging.getLogger(__name__)

KEEP = 20
MAX_BACKOFF_SECONDS = 60.0


@dataclass(frozen=True)
class RestartPolicy:
    attempts: int = 3
    window_seconds: float = 600.0
    backoff_seconds: float = 1.0
    interval_seconds: float = 2.0


class EngineSupervisor:
    """Watches one engine from a daemon thread (`start`) or one check at a time (`check`)."""

    def __init__(
        self,
        engine: Engine,
        runner: OperationRunner,
        policy: RestartPolicy,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.runner = runner
        self.policy = policy
        self.clock = clock
        self._attempted_at: deque[float] = deque()
        self._next_at = 0.0
        self._gave_up = False
        self._seen_running = False
        self._history: deque[EngineRestart] = deque(maxlen=KEEP)
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def begin(self) -> None:
        """Note how the engine is as the agent starts: one already down is not a crash this
        agent saw."""
        self._seen_running = self.engine.state() is not EngineState.FAILED

    def start(self) -> None:
        if self.policy.attempts == 0:
            log.info("engine supervision is off (restart_attempts = 0)")
            return
        self.begin()
        threading.Thread(target=self._loop, name="engine-supervisor", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def history(self) -> list[EngineRestart]:
        with self._lock:
            return list(self._history)

    def check(self) -> None:
        """One look at the engine; starts it again when it crashed and the policy allows."""
        state = self.engine.state()
        if state is not EngineState.FAILED:
            self._seen_running = self._seen_running or state is EngineState.RUNNING
            self._gave_up = False  # running again, or stopped on purpose: a fresh start
            return
        if not self._seen_running or self._gave_up:
            return  # not a crash this agent saw, or given up: someone else starts it now
        now = self.clock()
        while self._attempted_at and now - self._attempted_at[0] >= self.policy.window_seconds:
            self._attempted_at.popleft()
        if len(self._attempted_at) >= self.policy.attempts:
            if not self._gave_up:
                self._gave_up = True
                detail = (
                    f"{len(self._attempted_at)} start(s) within "
                    f"{self.policy.window_seconds:.0f} s did not keep it running"
                )
                log.error("engine crashed again: giving up (%s)", detail)
                self._remember(0, RestartOutcome.GAVE_UP, detail)
            return
        if now < self._next_at:
            return
        attempt = len(self._attempted_at) + 1
        try:
            with self.runner.exclusive("engine restart after a crash"):
                if self.engine.state() is not EngineState.FAILED:
                    return  # an operation that just ended dealt with it
                log.warning("engine is down while meant to run: starting it (attempt %d)", attempt)
                self._attempted_at.append(now)
                pause = self.policy.backoff_seconds * 2 ** (attempt - 1)
                self._next_at = now + min(MAX_BACKOFF_SECONDS, pause)
                self.engine.start()
        except Conflict:
            return  # an operation holds the engine; look again next round
        except Exception as exc:
            error = describe_error(exc, [])
            log.error("starting the crashed engine failed: %s", error.message)
            self._remember(attempt, RestartOutcome.FAILED, error.message)
            return
        log.info("engine started again after a crash (attempt %d)", attempt)
        self._remember(attempt, RestartOutcome.RESTARTED, "")

    def _loop(self) -> None:
        while not self._stop.wait(self.policy.interval_seconds):
            try:
                self.check()
            except Exception:  # the watch never dies of one bad look
                log.exception("engine supervision check failed")

    def _remember(self, attempt: int, outcome: RestartOutcome, detail: str) -> None:
        record = EngineRestart(
            at=datetime.now(UTC), attempt=attempt, outcome=outcome, detail=detail
        )
        with self._lock:
            self._history.append(record)
