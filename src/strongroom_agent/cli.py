"""`strongroom-agent --config PATH`: run the agent in the foreground.

When a boot file (`engine-boot.json`, beside the config; written by the control plane with
the agent's files, no secrets in it) names the configured engine, the engine's initialisation
starts at once on a fresh volume, before the HTTP server is even imported, so the two overlap.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from pathlib import Path

from strongroom.contracts.errors import ConfigError
from strongroom_agent import logs
from strongroom_agent.engines import create_engine
from strongroom_agent.engines.base import Engine, EngineEnvironment
from strongroom_agent.operations import OperationRunner
from strongroom_agent.service import AgentService
from strongroom_agent.settings import AgentSettings, load_settings
from strongroom_agent.supervisor import RestartPolicy

BOOT_FILE = "engine-boot.json"
"""Beside the config: `{"engine": NAME}` asks for the engine's initialisation at boot."""

log = logging.getLogger(__name__)


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
    if boot_requested(args.config.with_name(BOOT_FILE), settings.engine):
        service.initialise_at_boot()
    service.supervise(
        RestartPolicy(
            attempts=settings.restart_attempts,
            window_seconds=settings.restart_window_seconds,
            backoff_seconds=settings.restart_backoff_seconds,
            interval_seconds=settings.supervise_interval_seconds,
        )
    )
    # The web stack is most of the agent's start-up time: imported while the engine initialises.
    from strongroom_agent.server.app import create_app
    from strongroom_agent.server.tls import serve

    serve(create_app(service), settings)
    return 0


def boot_requested(path: Path, engine: str) -> bool:
    """Whether the boot file at `path` asks to initialise `engine` (missing: no; unreadable or
    naming another engine: no, logged)."""
    try:
        wanted = json.loads(path.read_text()).get("engine")
    except FileNotFoundError:
        return False
    except (OSError, ValueError, AttributeError) as exc:
        log.warning("ignoring unreadable boot file %s: %s", path, exc)
        return False
    if wanted != engine:
        log.warning("boot file %s names engine %r, not %r: ignored", path, wanted, engine)
        return False
    return True


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
