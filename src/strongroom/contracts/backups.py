"""Wire models of backups and restores between the control plane and the agent.

`POST PATH_BACKUPS` with a `BackupRequest` answers 200 with a framed body (`framing`): the
engine's native stream as `D` frames, then an `E` frame holding a `BackupTrailer` (or an `X`
frame with an `ErrorDetail` if the engine failed mid-way). The agent keeps no state about
backups: an incremental names its parent by the parent's `checkpoint`, which the control plane
stored with the parent (for MariaDB, the parent's `xtrabackup_checkpoints`).

`POST PATH_RESTORE` sends a framed body: for each part in order (the full, then each
incremental) a `P` frame (`RestorePart`) followed by its `D` frames, then an `E` frame
(`RestoreTrailer`). The agent stages every part while the body arrives, refuses a truncated or
malformed body (400, nothing changed), then answers 202 with an operation that prepares,
applies the incrementals, moves the data into place, starts the engine and verifies it.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

CHECKPOINT_MAX_LENGTH = 16384
"""A checkpoint is short engine-defined text, opaque to the control plane."""


class BackupKind(StrEnum):
    FULL = "full"
    INCREMENTAL = "incremental"


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BackupRequest(_Wire):
    """What to back up: a full, or an incremental on top of the parent's checkpoint."""

    kind: BackupKind = BackupKind.FULL
    parent_checkpoint: str | None = Field(
        None,
        max_length=CHECKPOINT_MAX_LENGTH,
        description="The parent's checkpoint (required for an incremental).",
    )


class BackupTrailer(_Wire):
    """How a backup stream ended: the checkpoint the next incremental needs, and how many
    bytes the agent sent (the control plane checks it received exactly that many; TLS
    already protects their integrity, the frames their completeness)."""

    kind: BackupKind
    engine: str
    checkpoint: str = Field(max_length=CHECKPOINT_MAX_LENGTH)
    data_bytes: int = Field(ge=0)


class RestorePart(_Wire):
    """Opens one part of a restore body."""

    index: int = Field(ge=0)
    kind: BackupKind


class RestoreTrailer(_Wire):
    """Ends a restore body: how many parts it carried."""

    parts: int = Field(ge=1)
