"""PostgreSQL 15: description.toml is read by `datastores.catalog`."""
