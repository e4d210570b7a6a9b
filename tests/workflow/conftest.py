"""Each workflow test runs on SQLite and on PostgreSQL (a fresh schema per test, dropped afterwards)."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, event, text

from huiqi.storage.db import Database

PG_URL = os.environ.get("HUIQI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_available() -> bool:
    try:
        with create_engine(PG_URL).connect() as c:
            c.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


PG = _pg_available()
REQUIRE_PG = os.environ.get("HUIQI_REQUIRE_PG") == "1"  # CI sets this: no silent skip there


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path}/huiqi.db")
        database.create_all()
        yield database
        database.engine.dispose()
        return
    if not PG:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required but does not answer at {PG_URL}")
        pytest.skip("no PostgreSQL server answers")
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_URL)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(PG_URL, pool_size=60, max_overflow=10, connect_args={"options": f"-csearch_path={schema}"})
    database = Database(engine=engine)
    database.create_all()
    yield database
    engine.dispose()
    with admin.begin() as c:
        c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
