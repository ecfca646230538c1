"""`strongroom up`: the whole control plane on one host, in the foreground.

The API and identity run in this process; the worker runs as a child process so that it can
die and be replaced independently (jobs survive either way). Ctrl-C stops everything.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import threading
from pathlib import Path

from strongroom.config import Settings
from strongroom.identity.bootstrap import ensure_bootstrap
from strongroom.runtime.prepare import open_database, upgrade_and_seed
from strongroom.runtime.servers import build_servers, serve

log = logging.getLogger(__name__)


def run_up(settings: Settings, config_path: Path | None) -> int:
    db = open_database(settings)
    upgrade_and_seed(settings, db)
    clouds = settings.clouds_yaml_path()
    ensure_bootstrap(settings, db, clouds)
    workers = [_WorkerSupervisor(config_path) for _ in range(settings.worker.processes)]
    for worker in workers:
        worker.start()
    _print_welcome(settings, str(clouds))
    try:
        asyncio.run(serve(build_servers(settings, db)))
    except KeyboardInterrupt:
        pass
    finally:
        for worker in workers:
            worker.stop()
        db.dispose()
    print("strongroom: stopped; state is kept, `make run` continues where it left off.")
    return 0


class _WorkerSupervisor:
    """Keeps one `strongroom-worker` child running; restarts it if it dies."""

    def __init__(self, config_path: Path | None) -> None:
        self._config = ["--config", str(config_path)] if config_path else []
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="worker-supervisor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _spawn(self) -> subprocess.Popen[bytes]:
        # The worker gets SIGTERM if this process dies without stopping it (setpriv, util-linux).
        argv = [sys.executable, "-m", "strongroom.cli.worker", *self._config]
        return subprocess.Popen(["setpriv", "--pdeathsig", "TERM", "--", *argv])

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._proc = self._spawn()
            code = self._proc.wait()
            if code == 0:
                return  # it was told to stop (Ctrl-C reaches the whole process group)
            if not self._stopping.is_set():
                log.warning("worker exited with %s; starting another", code)
                self._stopping.wait(1.0)

    def stop(self) -> None:
        self._stopping.set()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _print_welcome(settings: Settings, clouds: str) -> None:
    print(
        f"""
Strongroom is running.
  Trove API:  {settings.api.base_url()}/v1.0/
  Identity:   {settings.identity.base_url()}/v3
  State:      {settings.state_dir}
  Clouds:     {clouds} (entries strongroom-admin and strongroom-demo)

Try, in another terminal (with python-openstackclient and python-troveclient, e.g. .venv/bin):
  export OS_CLOUD=strongroom-demo
  openstack database flavor list
  openstack datastore list
  openstack database instance list

Ctrl-C stops the control plane; the state is kept.
""",
        flush=True,
    )
