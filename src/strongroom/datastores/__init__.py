"""Datastore descriptions: what each engine offers (versions, port, capabilities, parameters).

A datastore is added by adding its own folder with a `description.toml`; nothing else
branches on datastore names. Imports only `contracts`.
"""

from strongroom.datastores.catalog import DatastoreDescription, DatastoreVersion, load_catalog

__all__ = ["DatastoreDescription", "DatastoreVersion", "load_catalog"]
