"""Get a host ready: state dir, migrated control DB, configured flavors and networks."""

from __future__ import annotations

import logging

from strongroom.config import Settings
from strongroom.store import catalog, migrate, networks
from strongroom.store.database import Database


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s",
    )


def open_database(settings: Settings) -> Database:
    settings.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return Database(settings.database_url(), pool_size=settings.database.pool_size)


def upgrade_and_seed(settings: Settings, db: Database) -> None:
    """Apply migrations, then make flavors and networks match the config."""
    migrate.upgrade(db)
    with db.write() as s:
        catalog.sync_flavors(s, settings.flavors)
        networks.sync_networks(s, settings.networks)
