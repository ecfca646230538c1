"""Wait until a freshly started agent answers, polling briefly instead of backing off."""

from __future__ import annotations

import time

from strongroom.contracts.errors import InfrastructureError
from strongroom.steps.base import RetryPolicy, Step, StepContext
from strongroom.steps.facts import load_facts

READY_TIMEOUT_SECONDS = 60.0
POLL_SECONDS = 0.05


class WaitForAgent(Step):
    """The agent answers over mTLS. Retrying a prepare with exponential backoff instead would
    add seconds to every create; polling the cheap status call costs milliseconds."""

    name = "wait_for_agent"
    retry = RetryPolicy(attempts=2, backoff_seconds=1.0)

    def do(self, ctx: StepContext) -> None:
        # Started early, the agent waits only so long for its configuration: after a long
        # stall (a worker killed and the job resumed late) it may have given up. Starting it
        # is idempotent: a running agent is left as it is.
        ctx.drivers.compute.start_agent(ctx.resource_id)
        target = load_facts(ctx).guest_target()
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not ctx.drivers.guest.health(target).reachable:
            if time.monotonic() > deadline:
                raise InfrastructureError(
                    "the guest agent did not answer after it was started", retryable=True
                )
            time.sleep(POLL_SECONDS)
