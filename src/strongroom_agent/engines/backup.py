"""What an engine's backup hands the agent: the native stream, then its checkpoint; and the
stream of a backup tool run as a process (both engines' full backups)."""

from __future__ import annotations

import shutil
import subprocess
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path

from strongroom.contracts.errors import InfrastructureError

READ_SIZE = 1 << 20
_LOG_TAIL_BYTES = 600


class BackupStream(ABC):
    """One running backup. Read `chunks` to the end, then `checkpoint`; always `close`."""

    @abstractmethod
    def chunks(self) -> Iterator[bytes]:
        """The engine's native backup stream (opaque to the agent and the control plane)."""

    @abstractmethod
    def checkpoint(self) -> str:
        """After the stream ended: the text an incremental on top of this backup needs
        (engine-defined); `InfrastructureError` if the backup tool failed."""

    @abstractmethod
    def close(self) -> None:
        """Stop the backup tool if it still runs and remove its scratch files."""


class ProcessBackupStream(BackupStream):
    """A backup tool running in the scratch directory `work`: its stdout is the stream, its
    stderr goes to `work / log_name`; `close` stops it and removes `work`."""

    def __init__(self, work: Path, argv: list[str], tool: str, log_name: str) -> None:
        self.work = work
        self.tool = tool
        self.log_path = work / log_name
        with self.log_path.open("wb") as log_sink:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log_sink,
                cwd=work,
            )

    def chunks(self) -> Iterator[bytes]:
        stdout = self.proc.stdout
        assert stdout is not None
        while chunk := stdout.read(READ_SIZE):
            yield chunk

    def wait_tool(self) -> None:
        """Wait for the tool to end; `InfrastructureError` (with its log's tail) if it failed."""
        code = self.proc.wait()
        if code != 0:
            raise InfrastructureError(
                "the backup tool failed", detail=f"{self.tool} exited {code}: {self.log_tail()}"
            )

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        shutil.rmtree(self.work, ignore_errors=True)

    def log_tail(self) -> str:
        """The last lines of the tool's log, joined on one line."""
        try:
            data = self.log_path.read_bytes()[-_LOG_TAIL_BYTES:]
        except OSError:
            return "no log"
        return " | ".join(data.decode(errors="replace").strip().splitlines()[-4:])
