"""Spark (local mode) and DuckDB produce identical entitlements from the same rule definitions."""

from __future__ import annotations

import shutil

import pytest

from huiqi.batch.spark import run_rules_spark, spark_sql
from huiqi.catalogue import get_policy

COLS = "entity_id, provision_id, event_id, decision_date, status, amount_fen, is_cap, explanation_key, pool_id"


@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java 17 (.ci/run installs it)")
def test_spark_and_duckdb_agree_on_every_row(screened, helpers):
    screened.execute("CREATE OR REPLACE TABLE duck AS SELECT * FROM screened")
    run_rules_spark(screened, get_policy(), helpers.AS_OF, None, master="local[2]")
    only_duck = screened.execute(f"SELECT count(*) FROM (SELECT {COLS} FROM duck EXCEPT ALL SELECT {COLS} FROM screened)").fetchone()[0]
    only_spark = screened.execute(f"SELECT count(*) FROM (SELECT {COLS} FROM screened EXCEPT ALL SELECT {COLS} FROM duck)").fetchone()[0]
    total = screened.execute("SELECT count(*) FROM duck").fetchone()[0]
    # put DuckDB's rows back for the other tests of the session
    screened.execute("CREATE OR REPLACE TABLE screened AS SELECT * FROM duck")
    assert total > 30_000
    assert (only_duck, only_spark) == (0, 0)


def test_spark_sql_is_transpiled_not_hand_written():
    sql = spark_sql(get_policy(), helpers_as_of())
    assert "ARRAY_CONTAINS(" in sql and "ARRAY(" in sql  # Spark spellings produced by sqlglot from the DuckDB query
    assert "list_contains" not in sql.lower()


def helpers_as_of():
    import datetime as dt

    return dt.date(2024, 10, 1)
