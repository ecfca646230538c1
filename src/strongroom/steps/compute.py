"""Steps on the sandbox and the agent process in it."""

from __future__ import annotations

import json
from pathlib import Path

from strongroom.steps.base import RetryPolicy, Step, StepContext
from strongroom.steps.certificates import CLIENT_CA_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE
from strongroom.steps.facts import AGENT_PORT, load_facts


class CreateSandbox(Step):
    name = "create_sandbox"

    def do(self, ctx: StepContext) -> None:
        ctx.drivers.compute.create_sandbox(load_facts(ctx).sandbox())

    def undo(self, ctx: StepContext) -> None:
        ctx.drivers.compute.delete_sandbox(ctx.resource_id)


AGENT_CONFIG_FILE = "agent.json"
ENGINE_BOOT_FILE = "engine-boot.json"
"""Read by the agent beside its configuration (`strongroom_agent.cli.BOOT_FILE`)."""


class InstallAgentFiles(Step):
    """The agent's configuration (`strongroom_agent.settings.AgentSettings`), handed to the
    sandbox as a file (never over the wire), naming the certificates installed beside it.

    Unless the instance is restored from a backup (the restore needs an empty volume), a boot
    file beside it asks the agent to initialise the engine as soon as it starts (data dir,
    configuration sized from the flavor, server started; nothing secret in it), so that this
    slow part overlaps the agent's start-up; `PrepareGuest` then only adds databases and users.
    """

    name = "install_agent_files"

    def do(self, ctx: StepContext) -> None:
        facts = load_facts(ctx)
        paths = ctx.drivers.compute.guest_paths(facts.instance_id)
        box = Path(paths.files_dir)
        config = {
            "instance_id": facts.instance_id,
            "bind_host": facts.address("management"),
            "port": AGENT_PORT,
            "server_cert": str(box / SERVER_CERT_FILE),
            "server_key": str(box / SERVER_KEY_FILE),
            "client_ca": str(box / CLIENT_CA_FILE),
            "engine": facts.datastore,
            "data_dir": paths.data_dir,
            "run_dir": paths.run_dir,
            "log_dir": paths.log_dir,
            "memory_mib": facts.ram_mb,
            "vcpus": facts.vcpus,
            "listen_address": facts.address("user"),
            "engine_port": facts.engine_port,
        }
        files = {}
        if not ctx.payload.get("restore_chain"):
            files[ENGINE_BOOT_FILE] = json.dumps({"engine": facts.datastore}).encode()
        # Last: an agent started before this step waits for its configuration to appear.
        files[AGENT_CONFIG_FILE] = json.dumps(config, indent=2).encode()
        ctx.drivers.compute.install_files(ctx.resource_id, files)


class StartAgent(Step):
    name = "start_agent"
    retry = RetryPolicy(attempts=5, backoff_seconds=1.0)

    def do(self, ctx: StepContext) -> None:
        ctx.drivers.compute.start_agent(ctx.resource_id)

    def undo(self, ctx: StepContext) -> None:
        ctx.drivers.compute.stop_agent(ctx.resource_id)
