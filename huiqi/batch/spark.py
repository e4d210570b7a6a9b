"""The same screen on Apache Spark, for a registry that outgrows one machine.

Not a second copy of the rules: :func:`huiqi.batch.compile.screen_sql` builds the query from the
plan's gates, rule trees and declared steps (:mod:`huiqi.engine.steps`) with sqlglot's builders and
prints it in Spark's dialect (``dialect="spark"``) — the same tree DuckDB gets. DuckDB still
reads and checks the registry (row checks and the rejects file) and allocates the budget pools
afterwards — pools are global and small; the per-entity work, which is what grows with the
registry, runs on Spark.

Configuration (for a real cluster):

- ``--spark-master`` or ``HUIQI_SPARK_MASTER`` — e.g. ``spark://host:7077``, ``yarn``, ``k8s://…``;
  default ``local[*]``;
- ``HUIQI_SPARK_STAGING`` — where the checked facts are written for the executors (an ``s3a://``,
  ``hdfs://`` or shared-filesystem URI; default a local temporary folder);
- ``HUIQI_SPARK_CONF`` — extra ``key=value`` pairs separated by ``;`` (memory, executors …).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import duckdb

from huiqi.batch.compile import screen_sql
from huiqi.batch.schema import EVENT_TABLES, event_tables
from huiqi.rules.loader import Policy

FACT_VIEWS = ("entities_f", *(f"ev_{t}" for t in EVENT_TABLES), "support")  # the core kinds'


def fact_views(policy: Policy) -> tuple[str, ...]:
    """The facts a policy's screen reads: its event kinds' views too (a kind of its own from its events.yaml)."""
    return ("entities_f", *(f"ev_{t}" for t in event_tables(policy)), "support")


def spark_sql(policy: Policy, as_of: dt.date, strategy: str | None = None, referral_rows: bool = True) -> str:
    """The screen query in Spark SQL (sqlglot's Spark dialect, from the same tree as DuckDB's)."""
    return screen_sql(policy, as_of, strategy, referral_rows=referral_rows, dialect="spark")


_SESSION = None


def session(master: str | None = None):
    """A Spark session (created once per process; local mode starts in a few seconds)."""
    global _SESSION
    if _SESSION is not None:
        return _SESSION
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.appName("huiqi-screen")
        .master(master or os.environ.get("HUIQI_SPARK_MASTER", "local[*]"))
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", os.environ.get("HUIQI_SPARK_DRIVER_MEMORY", "2g"))
    )
    for pair in filter(None, os.environ.get("HUIQI_SPARK_CONF", "").split(";")):
        key, _, value = pair.partition("=")
        builder = builder.config(key.strip(), value.strip())
    _SESSION = builder.getOrCreate()
    _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION


def run_rules_spark(con: duckdb.DuckDBPyConnection, policy: Policy, as_of: dt.date, strategy: str | None,
                    master: str | None = None, referral_rows: bool = True) -> None:
    """Stage the checked facts as Parquet, run the transpiled query on Spark, read the rows back as ``screened``."""
    staging_uri = os.environ.get("HUIQI_SPARK_STAGING")
    local = staging_uri is None
    staging = Path(tempfile.mkdtemp(prefix="huiqi-spark-")) if local else None
    base = str(staging) if local else staging_uri.rstrip("/")
    views = fact_views(policy)
    try:
        for view in views:
            target = f"{base}/{view}.parquet"
            con.execute(f"COPY (SELECT * FROM {view}) TO '{target}' (FORMAT parquet)")
        spark = session(master)
        for view in views:
            spark.read.parquet(f"{base}/{view}.parquet").createOrReplaceTempView(view)
        result = spark.sql(spark_sql(policy, as_of, strategy, referral_rows))
        out = f"{base}/screened_raw"
        result.write.mode("overwrite").parquet(out)
        con.execute(f"CREATE OR REPLACE TABLE screened AS SELECT * FROM read_parquet('{out}/*.parquet')")
        from huiqi.batch.screen import count_referrals  # a small aggregate: DuckDB does it from the same facts

        count_referrals(con, policy, as_of, referral_rows, strategy)
    finally:
        if local and staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
