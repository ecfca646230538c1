"""Use cases the API calls: validate, authorize, check quota, write intent + job together.

Imports `store`, `jobs`, `domain`, `datastores`, `identity.context`, `config`, `contracts`.
"""
