"""The Trove v1.0 HTTP API: app factory, thin routers, schemas, auth dependency.

Imports `services`, `identity`, `config`, `contracts`, `datastores`, `domain`.
"""
