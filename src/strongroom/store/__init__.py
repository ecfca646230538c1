"""The control DB: SQLAlchemy models, sessions, repositories and Alembic migrations.

Imports only `contracts`, `domain` and `config`.
"""
