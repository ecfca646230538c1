"""Data volumes: where a datastore's data lives."""
