"""Wire models of backups and restores between the control plane and the agent.

`POST PATH_BACKUPS` with a `BackupRequest` answers 200 with a framed body (`framing`): the
engine's stream in the requested `encoding` as `D` frames (`zstd`: one zstd frame of the
native stream, compressed by the agent's `zstd` process reading the backup tool's pipe),
then an `E` frame holding a `BackupTrailer` (or an `X` frame with an `ErrorDetail` if the
engine failed mid-way). The agent keeps no state about backups: an incremental names its
parent by the parent's `checkpoint`, which the control plane stored with the parent (for
MariaDB, the parent's `xtrabackup_checkpoints`).

`POST PATH_RESTORE` sends a framed body: for each part in order (the full, then each
incremental) a `P` frame (`RestorePart`) followed by its `D` frames, then an `E` frame
(`RestoreTrailer`); a part's `encoding` says whether its data is the native stream or a zstd
frame of it (the agent decompresses with `zstd -d` piped into the engine's unpack tool). The
agent stages every part while the body arrives, refuses a truncated or malformed body (400,
nothing changed), then answers 202 with an operation that prepares, applies the
incrementals, moves the data into place, starts the engine and verifies it.

An `encoding` left at its default is not sent (`wire_json`), so a native body or trailer
reads the same as before the field existed.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

CHECKPOINT_MAX_LENGTH = 16384
"""A checkpoint is short engine-defined text, opaque to the control plane."""


class BackupKind(StrEnum):
    FULL = "full"
    INCREMENTAL = "incremental"


class StreamEncoding(StrEnum):
    """How a backup or restore stream's data is encoded on the wire."""

    NATIVE = "native"
    """The engine's native stream as its tool writes it (xbstream, tar)."""
    ZSTD = "zstd"
    """One zstd frame of the native stream: the stored object's plaintext as is."""


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
    encoding: StreamEncoding = Field(
        StreamEncoding.NATIVE, description="The encoding the control plane wants the data in."
    )


class BackupTrailer(_Wire):
    """How a backup stream ended: the checkpoint the next incremental needs, and how many
    bytes the agent sent in `encoding` (the control plane checks it received exactly that
    many, in the encoding it asked for; TLS already protects their integrity, the frames
    their completeness)."""

    kind: BackupKind
    engine: str
    checkpoint: str = Field(max_length=CHECKPOINT_MAX_LENGTH)
    data_bytes: int = Field(ge=0)
    encoding: StreamEncoding = StreamEncoding.NATIVE


class RestorePart(_Wire):
    """Opens one part of a restore body."""

    index: int = Field(ge=0)
    kind: BackupKind
    encoding: StreamEncoding = StreamEncoding.NATIVE


class RestoreTrailer(_Wire):
    """Ends a restore body: how many parts it carried."""

    parts: int = Field(ge=1)


def wire_json(model: BaseModel) -> bytes:
    """`model` as JSON without the fields left at their defaults (a native stream's
    `encoding`), so peers that predate a field still read it."""
    return model.model_dump_json(exclude_defaults=True).encode()
