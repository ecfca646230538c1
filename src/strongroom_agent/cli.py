"""`strongroom-agent --config PATH`: run the agent in the foreground."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from strongroom.contracts.errors import ConfigError
from strongroom_agent import logs
from strongroom_agent.engines import create_engine
from strongroom_agent.engines.base import Engine, EngineEnvironment
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
    return AgentService(settings.instance_id, load_engine(settings.engine, env), OperationRunner())


def load_engine(name: str, env: EngineEnvironment) -> Engine:
    """The engine `name`, importing only its own package when it is named so (the registry's
    scan imports every engine's client library: PostgreSQL's alone adds ~0.3 s to a start);
    anything else goes through the registry, which explains an unknown name."""
    if name.isidentifier():
        try:
            module = importlib.import_module(f"strongroom_agent.engines.{name}")
        except ModuleNotFoundError:
            module = None
        engine = getattr(module, "ENGINE", None)
        if isinstance(engine, type) and issubclass(engine, Engine) and engine.name == name:
            return engine(env)
    return create_engine(name, env)
