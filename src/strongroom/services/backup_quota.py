"""The backup quotas of a project (count and stored GiB), checked before a backup record is
added: by a new backup (its size known only once stored) and by a registered one (its size
known)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from strongroom.config.settings import QuotaSettings
from strongroom.contracts.errors import OverLimit
from strongroom.store import backups, quotas

GIB = 1024**3


def check_backup_quota(
    s: Session, project_id: str, defaults: QuotaSettings, adding_bytes: int | None = None
) -> None:
    """OverLimit when one more backup exceeds the count, or when the stored bytes exceed the
    GiB limit: with `adding_bytes` counted whole when the size is known; otherwise a new
    backup is refused once the limit is reached."""
    limits = quotas.limits_for(s, project_id, defaults)
    used = backups.count(s, project_id)
    if 0 <= limits.max_backups < used + 1:
        raise OverLimit(f"Quota exceeded for backups: {used} of {limits.max_backups} in use.")
    stored = backups.stored_bytes(s, project_id) / GIB
    if adding_bytes is None:
        if 0 <= limits.max_backup_gigabytes <= stored:
            raise OverLimit(
                f"Quota exceeded for backup storage: {stored:.2f} of "
                f"{limits.max_backup_gigabytes} GiB in use."
            )
        return
    gib = stored + adding_bytes / GIB
    if 0 <= limits.max_backup_gigabytes < gib:
        raise OverLimit(
            f"Quota exceeded for backup storage: {gib:.2f} GiB with this backup, of "
            f"{limits.max_backup_gigabytes} GiB allowed."
        )
