"""`strongroom-agent --config PATH`: run the agent in the foreground.

When a boot file (`strongroom_agent.boot.BOOT_FILE`, beside the config) asks for the engine's
initialisation on a fresh volume, its slowest part starts before this module imports anything
heavy (`boot.head_start`), the rest right after the engine is loaded, and the HTTP server is
imported while it runs, so the three overlap.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from strongroom_agent import boot
from strongroom_agent.boot import BOOT_FILE, boot_requested

if TYPE_CHECKING:
    from strongroom_agent.engines.base import Engine, EngineEnvironment
    from strongroom_agent.service import AgentService
    from strongroom_agent.settings import AgentSettings

__all__ = ["BOOT_FILE", "boot_requested", "build_service", "load_engine", "main"]

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    """Entry point: load the config, build the service, serve until stopped."""
    parser = argparse.ArgumentParser(prog="strongroom-agent", description=__doc__)
    parser.add_argument("--config", type=Path, required=True, help="JSON or TOML config file")
    parser.add_argument(
        "--wait-for-config",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait up to SECONDS for the config file to appear (loading meanwhile)",
    )
    args = parser.parse_args(argv)
    if args.wait_for_config > 0 and not wait_for_file(args.config, args.wait_for_config):
        print(f"strongroom-agent: no config file {args.config}", file=sys.stderr)
        return 2
    fresh = boot.head_start(args.config)  # before the imports below (~0.5 s of CPU)

    from strongroom.contracts.errors import ConfigError
    from strongroom_agent import logs
    from strongroom_agent.settings import load_settings
    from strongroom_agent.supervisor import RestartPolicy

    try:
        settings = load_settings(args.config)
        service = build_service(settings)
    except ConfigError as exc:
        print(f"strongroom-agent: {exc.message}", file=sys.stderr)
        return 2
    logs.configure(settings.log_dir, settings.instance_id)
    if boot_requested(args.config.with_name(BOOT_FILE), settings.engine):
        service.initialise_at_boot(fresh)
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


PRELOADED = (
    "strongroom_agent.settings",
    "strongroom_agent.service",
    "strongroom_agent.supervisor",
    "strongroom_agent.server.app",
    "strongroom_agent.server.tls",
)
"""What the agent imports whatever its configuration says (~1 s of CPU)."""
CONFIG_POLL_SECONDS = 0.01


def wait_for_file(path: Path, timeout: float) -> bool:
    """Wait until `path` exists (at most `timeout` seconds), importing `PRELOADED` in the
    background meanwhile; whether it appeared."""
    if path.exists():
        return True
    threading.Thread(target=_preload, name="preload", daemon=True).start()
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(CONFIG_POLL_SECONDS)
    return True


def _preload() -> None:
    for name in PRELOADED:
        try:
            importlib.import_module(name)
        except Exception:  # the main thread imports it again and reports what is wrong
            return


def build_service(settings: AgentSettings) -> AgentService:
    """The agent's service for the configured instance and engine."""
    from strongroom_agent.engines.base import EngineEnvironment
    from strongroom_agent.operations import OperationRunner
    from strongroom_agent.service import AgentService

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
    from strongroom_agent.engines import create_engine
    from strongroom_agent.engines.base import Engine

    if name.isidentifier():
        try:
            module = importlib.import_module(f"strongroom_agent.engines.{name}")
        except ModuleNotFoundError:
            module = None
        engine = getattr(module, "ENGINE", None)
        if isinstance(engine, type) and issubclass(engine, Engine) and engine.name == name:
            return engine(env)
    return create_engine(name, env)
