"""`strongroom-agent --config PATH`: run the agent in the foreground."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from strongroom.contracts.errors import ConfigError
from strongroom_agent import logs
from strongroom_agent.engines import create_engine
from strongroom_agent.engines.base import EngineEnvironment
from strongroom_agent.operations import OperationRunner
from strongroom_agent.server.app import create_app
from strongroom_agent.server.tls import serve
from strongroom_agent.service import AgentService
from strongroom_agent.settings import AgentSettings, load_settings


def main(argv: list[str] | None = None) -> int:
    """Entry point: load the config, build the service, serve until stopped."""
    parser = argparse.ArgumentParser(prog="strongroom-agent", description=__doc__)
    parser.add_argument("--config", type=Path, required=True, help="JSON or TOML config file")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
        service = build_service(settings)
    except ConfigError as exc:
        print(f"strongroom-agent: {exc.message}", file=sys.stderr)
        return 2
    logs.configure(settings.log_dir, settings.instance_id)
    serve(create_app(service), settings)
    return 0


def build_service(settings: AgentSettings) -> AgentService:
    """The agent's service for the configured instance and engine."""
    env = EngineEnvironment(
        data_dir=settings.data_dir,
        run_dir=settings.run_dir,
        log_dir=settings.log_dir,
        memory_mib=settings.memory_mib,
        vcpus=settings.vcpus,
        listen_address=settings.listen_address,
        port=settings.engine_port,
        os_user=settings.engine_os_user,
        start_timeout_seconds=settings.start_timeout_seconds,
        stop_timeout_seconds=settings.stop_timeout_seconds,
    )
    return AgentService(
        settings.instance_id, create_engine(settings.engine, env), OperationRunner()
    )
