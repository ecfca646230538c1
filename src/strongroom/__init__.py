"""Strongroom: a Database-as-a-Service speaking the OpenStack Trove v1.0 API."""
