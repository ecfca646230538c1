"""Steps that talk to the guest agent."""

from __future__ import annotations

import time

from strongroom.drivers.specs import DatabaseSpec, PrepareSpec, UserSpec
from strongroom.steps.base import RetryPolicy, Step, StepContext
from strongroom.steps.facts import load_facts

PREPARE_TIMEOUT_SECONDS = 300.0
PREPARED_AT = "prepared_at"
"""Checkpointed by `PrepareGuest`: when (epoch seconds) the prepare ended, the engine answering."""


class PrepareGuest(Step):
    """Initialise the engine with the requested databases and users (declarative)."""

    name = "prepare_guest"
    # The agent answers already (WaitForAgent); retries are for transient engine failures.
    retry = RetryPolicy(attempts=3, backoff_seconds=1.0)

    def do(self, ctx: StepContext) -> None:
        facts = load_facts(ctx)
        passwords = ctx.secrets.get("user_passwords", {})
        spec = PrepareSpec(
            instance_id=facts.instance_id,
            datastore=facts.datastore,
            datastore_version=facts.datastore_version,
            ram_mb=facts.ram_mb,
            vcpus=facts.vcpus,
            listen_address=facts.address("user"),
            databases=tuple(DatabaseSpec(**d) for d in ctx.payload.get("databases", [])),
            users=tuple(
                UserSpec(
                    name=u["name"],
                    password=passwords[u["name"]],
                    host=u.get("host") or "%",
                    databases=tuple(u.get("databases", [])),
                )
                for u in ctx.payload.get("users", [])
            ),
        )
        ctx.drivers.guest.prepare(facts.guest_target(), spec, PREPARE_TIMEOUT_SECONDS)
        ctx.state[PREPARED_AT] = time.time()
