"""The database: SQLite file by default, PostgreSQL through ``HUIQI_DATABASE_URL``.

SQLite is opened in WAL mode with foreign keys on and every write transaction started with
``BEGIN IMMEDIATE``, so concurrent writers queue (busy timeout) instead of failing on a lock
upgrade. PostgreSQL needs nothing special: the ledger's guarantees come from conditional
``UPDATE … WHERE balance >= amount`` statements and CHECK constraints, which hold on both.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///var/huiqi.db"


def database_url() -> str:
    return os.environ.get("HUIQI_DATABASE_URL", DEFAULT_URL)


def make_engine(url: str | None = None, **kwargs) -> Engine:
    url = url or database_url()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_size=20, max_overflow=40, pool_pre_ping=True, **kwargs)


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str | None = None, engine: Engine | None = None):
        self.engine = engine or make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back on any error."""
        with self.sessions() as session:
            with session.begin():
                yield session

    def create_all(self) -> None:
        """Create the schema by running the Alembic migrations to head."""
        from huiqi.storage.migrate import upgrade

        upgrade(self.engine)
