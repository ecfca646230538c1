"""What an engine's backup hands the agent: the native stream, then its checkpoint."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator


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
