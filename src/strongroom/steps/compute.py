"""Steps on the sandbox and the agent process in it."""

from __future__ import annotations

import json

from strongroom.steps.base import RetryPolicy, Step, StepContext
from strongroom.steps.facts import AGENT_PORT, load_facts


class CreateSandbox(Step):
    name = "create_sandbox"

    def do(self, ctx: StepContext) -> None:
        ctx.drivers.compute.create_sandbox(load_facts(ctx).sandbox())

    def undo(self, ctx: StepContext) -> None:
        ctx.drivers.compute.delete_sandbox(ctx.resource_id)


class InstallAgentFiles(Step):
    """The agent's configuration, handed to the sandbox as files (never over the wire)."""

    name = "install_agent_files"

    def do(self, ctx: StepContext) -> None:
        facts = load_facts(ctx)
        config = {
            "instance_id": facts.instance_id,
            "bind_host": facts.address("management"),
            "port": AGENT_PORT,
            "engine": facts.datastore,
            "memory_limit_mb": facts.ram_mb,
            "vcpus": facts.vcpus,
        }
        files = {"agent.json": json.dumps(config, indent=2).encode()}
        ctx.drivers.compute.install_files(ctx.resource_id, files)


class StartAgent(Step):
    name = "start_agent"
    retry = RetryPolicy(attempts=5, backoff_seconds=1.0)

    def do(self, ctx: StepContext) -> None:
        ctx.drivers.compute.start_agent(ctx.resource_id)

    def undo(self, ctx: StepContext) -> None:
        ctx.drivers.compute.stop_agent(ctx.resource_id)
