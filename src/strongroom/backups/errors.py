"""Why a stored backup is refused (both are permanent: retrying cannot help)."""

from __future__ import annotations

from strongroom.contracts.errors import InfrastructureError


class BackupCorrupted(InfrastructureError):
    """The object differs from what was written: wrong checksum or size, a damaged,
    reordered or missing record, or a truncated stream."""

    code = "backup_corrupted"


class BackupKeyMismatch(InfrastructureError):
    """The object is intact but its data key does not unwrap with the named master key."""

    code = "backup_key_mismatch"
