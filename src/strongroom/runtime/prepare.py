"""Get a host ready: state dir, migrated control DB, configured flavors and networks."""

from __future__ import annotations

import logging
import os

from strongroom.config import Settings
from strongroom.store import catalog, migrate, networks
from strongroom.store.database import Database

# Libraries whose DEBUG records carry raw HTTP headers (tokens, signatures): never below INFO.
HEADER_TRACING_LOGGERS = ("httpcore", "hpack", "urllib3", "botocore", "boto3", "s3transfer")


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s",
    )
    for name in HEADER_TRACING_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLogger().level))


def open_database(settings: Settings) -> Database:
    ensure_state_dir(settings)
    return Database(settings.database_url(), pool_size=settings.database.pool_size)


def ensure_state_dir(settings: Settings) -> None:
    """The state dir exists and is traversable but not listable by others (0711): the
    engines' own users must reach their data dirs under it; secrets live in 0700 subdirs."""
    state = settings.state_dir
    state.mkdir(parents=True, exist_ok=True, mode=0o711)
    if state.stat().st_mode & 0o011 != 0o011:
        state.chmod(state.stat().st_mode | 0o011)
    if not settings.database.url:  # SQLite in the state dir: only we may read it
        db_file = state / "strongroom.db"
        os.close(os.open(db_file, os.O_CREAT | os.O_WRONLY, 0o600))
        for path in (db_file, state / "strongroom.db-wal", state / "strongroom.db-shm"):
            if path.exists():
                path.chmod(0o600)


def upgrade_and_seed(settings: Settings, db: Database) -> None:
    """Apply migrations, then make flavors and networks match the config."""
    migrate.upgrade(db)
    with db.write() as s:
        catalog.sync_flavors(s, settings.flavors)
        networks.sync_networks(s, settings.networks)
