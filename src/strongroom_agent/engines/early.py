"""Data-directory installs begun at the agent's boot (before its heavy imports), one per data
dir, in a background thread; the engine's next `initialise` of that dir waits for it and then
redoes whatever it left undone. Standard library only, like the engines' `boot` modules."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


class EarlyInstalls:
    """The installs begun early, by data dir."""

    def __init__(self, what: str) -> None:
        self.what = what  # how logs name the install ("install-db", "initdb")
        self._threads: dict[Path, threading.Thread] = {}
        self._lock = threading.Lock()

    def begin(self, datadir: Path, install: Callable[[], bool]) -> None:
        """Run `install` (True when it created the data dir) in a thread; a failure is only
        logged: the next `initialise` redoes the install and reports it."""

        def run() -> None:
            try:
                if install():
                    log.info("initialised data directory %s (begun at boot)", datadir)
            except Exception as exc:
                log.warning("%s at boot failed (redone by the next prepare): %s", self.what, exc)

        thread = threading.Thread(target=run, name="engine-install", daemon=True)
        with self._lock:
            self._threads[datadir] = thread
        thread.start()

    def wait(self, datadir: Path) -> None:
        """Wait for the install begun for `datadir`, if any."""
        with self._lock:
            early = self._threads.pop(datadir, None)
        if early is not None:
            early.join()
