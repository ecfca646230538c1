"""The fake infrastructure's state: one JSON file per resource under a directory.

State lives in files, not memory, so it survives a SIGKILLed worker and a test can list
exactly what "exists". Fault injection (a delay, a permanent failure, a crash inside an
operation) comes from the fake driver settings.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from strongroom.config.settings import FakeDriverSettings
from strongroom.contracts.errors import InfrastructureError


class FakeWorld:
    def __init__(self, root: Path, settings: FakeDriverSettings) -> None:
        self.root = root
        self.settings = settings

    def operation(self, name: str) -> None:
        """Call at the start of every fake operation: delay and injected failure."""
        if self.settings.step_delay_seconds:
            time.sleep(self.settings.step_delay_seconds)
        if name == self.settings.fail_in:
            raise InfrastructureError(
                f"the fake {name} failed", detail="injected by drivers.fake.fail_in"
            )

    def done(self, name: str) -> None:
        """Call after an operation's side effect: the injected crash happens here."""
        if name == self.settings.crash_in:
            os.kill(os.getpid(), signal.SIGKILL)

    def put(self, kind: str, key: str, data: dict[str, Any]) -> None:
        path = self._path(kind, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(path)

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        path = self._path(kind, key)
        return json.loads(path.read_text()) if path.exists() else None

    def drop(self, kind: str, key: str) -> None:
        self._path(kind, key).unlink(missing_ok=True)

    def keys(self, kind: str) -> set[str]:
        folder = self.root / kind
        return {p.stem for p in folder.glob("*.json")} if folder.exists() else set()

    def _path(self, kind: str, key: str) -> Path:
        return self.root / kind / f"{key}.json"
