"""Engines and sessions. SQLite runs in WAL mode; write transactions take the lock up front."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def utcnow() -> datetime:
    """Naive UTC now: the control DB stores naive UTC timestamps on every backend."""
    return datetime.now(UTC).replace(tzinfo=None)


class Database:
    """The control DB. Use `read()` for queries and `write()` for changes.

    On SQLite a write transaction starts with BEGIN IMMEDIATE so that two processes never
    deadlock upgrading a read lock; readers never block thanks to WAL. On PostgreSQL both
    are ordinary transactions.
    """

    def __init__(self, url: str, *, pool_size: int = 5) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._read_engine = self._make_engine(url, immediate=False, pool_size=pool_size)
        self._write_engine = (
            self._make_engine(url, immediate=True, pool_size=pool_size)
            if self.is_sqlite
            else self._read_engine
        )
        self._read = sessionmaker(self._read_engine, expire_on_commit=False)
        self._write = sessionmaker(self._write_engine, expire_on_commit=False)

    @property
    def engine(self) -> Engine:
        return self._write_engine

    def _make_engine(self, url: str, *, immediate: bool, pool_size: int) -> Engine:
        if not self.is_sqlite:
            return create_engine(url, pool_size=pool_size, pool_pre_ping=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self._write() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self._read_engine.dispose()
        self._write_engine.dispose()
