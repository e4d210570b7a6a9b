"""The same screen on Apache Spark, for a registry that lives on a cluster.

Nothing here is a second copy of a check or a rule; every query is built once and printed in Spark's dialect by
sqlglot:

- the row checks, typed views, lookups, facts and rejects are :func:`huiqi.batch.validate.check_plan`
  (``dialect="spark"``), the steps DuckDB's ``prepare`` runs; the lookups that call the calculator's Python
  validators (district and industry codes, derived facts) run on the driver once per *distinct* code;
- the rules are :func:`huiqi.batch.compile.screen_sql` (``dialect="spark"``) and the referral counts
  :func:`huiqi.batch.compile.referral_counts_sql`, from the same trees as DuckDB's;
- the budget pools are :data:`huiqi.batch.screen.ALLOCATE_POOLS`, transpiled from DuckDB's text (pools are
  global and small, but they stay on Spark: no data comes back to the driver).

The registry is read from URIs or tables and the results written to a URI or tables
(:mod:`huiqi.batch.spark_io`); DuckDB is not used and nothing is downloaded at run time.

Configuration (for a real cluster; under ``spark-submit`` the session it made is used as it is):

- ``--spark-master`` or ``HUIQI_SPARK_MASTER`` — ``spark://host:7077``, ``yarn``, ``k8s://…``; default ``local[*]``;
- ``HUIQI_SPARK_CONF`` — extra ``key=value`` pairs separated by ``;`` (memory, executors, ``spark.hadoop.fs.s3a.*``);
- tables in or out turn on the Hive catalogue when this process makes the session (``enableHiveSupport``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from pathlib import Path

from huiqi.batch.compile import referral_counts_sql, screen_sql
from huiqi.batch.schema import EVENT_TABLES, all_tables, event_tables
from huiqi.batch.screen import ENTITLEMENT_COLUMNS, ENTITLEMENTS_ORDER
from huiqi.batch.spark_io import SparkSource, SparkTarget, read_registry, write_results
from huiqi.rules.loader import Policy

FACT_VIEWS = ("entities_f", *(f"ev_{t}" for t in EVENT_TABLES), "support")  # the core kinds'


def fact_views(policy: Policy) -> tuple[str, ...]:
    """The facts a policy's screen reads: its event kinds' views too (a kind of its own from its events.yaml)."""
    return ("entities_f", *(f"ev_{t}" for t in event_tables(policy)), "support")


def spark_sql(policy: Policy, as_of: dt.date, strategy: str | None = None, referral_rows: bool = True) -> str:
    """The screen query in Spark SQL (sqlglot's Spark dialect, from the same tree as DuckDB's)."""
    return screen_sql(policy, as_of, strategy, referral_rows=referral_rows, dialect="spark")


def pools_sql(screened_columns: list[str]) -> str:
    """The pool allocation (DuckDB's one query over ``screened`` and ``pools``) in Spark SQL, its stars expanded
    by sqlglot from the columns (Spark orders ``s.*`` of a ``JOIN … USING`` differently from DuckDB)."""
    import sqlglot
    from sqlglot.optimizer.qualify import qualify

    from huiqi.batch.screen import ALLOCATE_POOLS_ROWS

    schema = {"screened": {c: "VARCHAR" for c in screened_columns}, "pools": {"pool_id": "VARCHAR", "total_fen": "BIGINT"}}
    tree = qualify(sqlglot.parse_one(ALLOCATE_POOLS_ROWS, read="duckdb"), schema=schema, dialect="duckdb",
                   quote_identifiers=False)
    return tree.sql(dialect="spark")


def entitlements_sql(view: str) -> str:
    """The written entitlements: DuckDB's columns in DuckDB's order (``screen.ENTITLEMENTS_ORDER``), in Spark SQL."""
    import sqlglot

    cols = ", ".join(f"CAST({c} AS BIGINT) AS {c}" if c.endswith("_fen") else c for c in ENTITLEMENT_COLUMNS)
    return sqlglot.transpile(f"SELECT {cols} FROM {view} ORDER BY {ENTITLEMENTS_ORDER}", read="duckdb", write="spark")[0]


_SESSION = None


def session(master: str | None = None, hive: bool = False):
    """The Spark session: the one already running (``spark-submit``, a notebook, a test), else one made here
    (once per process) from ``--spark-master``/``HUIQI_SPARK_MASTER`` and ``HUIQI_SPARK_CONF``."""
    global _SESSION
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if _SESSION is not None:
        return _SESSION
    builder = SparkSession.builder.appName("huiqi-screen")
    if "PYSPARK_GATEWAY_PORT" not in os.environ or master:  # not under spark-submit, whose settings stand as given
        master = master or os.environ.get("HUIQI_SPARK_MASTER", "local[*]")
        # one machine: a few shuffle partitions, not Spark's 200 (each a task at every shuffle of ~40 steps); a
        # cluster keeps Spark's default, which adaptive execution coalesces
        if master.startswith("local"):
            builder = builder.config("spark.sql.shuffle.partitions", "4")
        builder = (
            builder.master(master)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.memory", os.environ.get("HUIQI_SPARK_DRIVER_MEMORY", "2g"))
        )
    for pair in filter(None, os.environ.get("HUIQI_SPARK_CONF", "").split(";")):
        key, _, value = pair.partition("=")
        builder = builder.config(key.strip(), value.strip())
    if hive:
        builder = builder.enableHiveSupport()
    _SESSION = builder.getOrCreate()
    _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION


_SPARK_TYPES = {"VARCHAR": "string", "BIGINT": "bigint", "BOOLEAN": "boolean", "DATE": "date", "INTEGER": "int"}


def _spark_schema(schema: list[tuple[str, str]]) -> str:
    def spark_type(t: str) -> str:
        t = t.upper()
        return t.lower() if t.startswith("DECIMAL") else _SPARK_TYPES[t]

    return ", ".join(f"`{name}` {spark_type(t)}" for name, t in schema)


def kept(df, eager: bool = True):
    """``df`` kept on the executors (memory, then disk) with its lineage cut: later plans see one leaf, not the
    checks' whole plan (the rules query reads the facts in many arms; analysing and optimising the checks' plan in
    each arm took minutes and can overflow the stack). ``eager=False``: computed by the first job that reads it,
    with no job of its own."""
    return narrow(df).localCheckpoint(eager=eager)


def narrow(df):
    """``df`` in at most ``spark.sql.shuffle.partitions`` partitions, merged without a shuffle: a ``UNION ALL`` has
    its arms' partitions added up (the screen's provision table, 120 one-row arms, made 120 tasks at every read)."""
    return df.coalesce(int(df.sparkSession.conf.get("spark.sql.shuffle.partitions")))


def materialise(step, df):
    """A check step as the plan asks: a view where cheap to recompute (``step.view``), else kept — lazily, so the
    ~40 steps cost no job each; the lookups' and the screen's jobs compute them once, as they first read them."""
    return df if step.view else kept(df, eager=False)


def run_checks(spark, raw: dict[str, object], provision_ids: list[str], kinds=None) -> None:
    """The row checks' plan on Spark: one temporary view per step."""
    from huiqi.batch.validate import check_plan

    raw_columns = {t: {c: ty for c, ty in df.dtypes if c != "_row"} for t, df in raw.items()}
    for step in check_plan(raw_columns, provision_ids, kinds=kinds, dialect="spark"):
        if step.sql is None:
            lookup = step.lookup
            values = [tuple(r) for r in spark.sql(lookup.distinct_sql).collect()] if lookup.distinct_sql else []
            df = spark.createDataFrame(lookup.rows(values), schema=_spark_schema(lookup.schema))
        else:
            df = materialise(step, spark.sql(step.sql))
        df.createOrReplaceTempView(step.name)


def split_ctes(sql: str, prefix: str) -> tuple[list[tuple[str, str]], str]:
    """A Spark SQL query's ``WITH`` parts as separate queries: ``[(view name, its SELECT)]`` in order, and the
    main SELECT reading them by those names (``prefix`` + the part's name, so no other view is shadowed)."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="spark")
    with_ = tree.args.get("with_") or tree.args.get("with")
    if with_ is None:
        return [], sql
    names = {cte.alias for cte in with_.expressions}

    def renamed(node):
        if isinstance(node, exp.Table) and not node.args.get("db") and node.name in names:
            return exp.Table(this=exp.to_identifier(prefix + node.name),
                             alias=node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(node.name)))
        return node

    parts = [(prefix + cte.alias, cte.this.transform(renamed).sql(dialect="spark")) for cte in with_.expressions]
    tree.set("with_" if "with_" in tree.args else "with", None)
    return parts, tree.transform(renamed).sql(dialect="spark")


def query(spark, sql: str, prefix: str):
    """``sql`` run as its ``WITH`` parts, each a view of its own (kept where read more than once), then the main
    SELECT: Catalyst analyses and optimises each part once, instead of the whole query with every part inlined
    wherever it is read (the screen query's parts are read up to three times; optimising it whole took minutes)."""
    parts, main = split_ctes(sql, prefix)
    for name, select in parts:
        reads = sum(len(re.findall(rf"\b{name}\b", other)) for other in (*(q for _, q in parts), main))
        df = spark.sql(select)
        (kept(df, eager=False) if reads > 1 else df).createOrReplaceTempView(name)
    return spark.sql(main)


def run_rules(spark, policy: Policy, as_of: dt.date, strategy: str | None, referral_rows: bool):
    """``screened`` (the transpiled screen query) and ``referral_counts`` as temporary views."""
    screened = kept(query(spark, spark_sql(policy, as_of, strategy, referral_rows), "_screen_"))
    screened.createOrReplaceTempView("screened")
    sql = referral_counts_sql(policy, as_of, dialect="spark", strategy=strategy)
    if referral_rows or not sql:
        sql = ("SELECT CAST(NULL AS STRING) AS provision_id, CAST(NULL AS STRING) AS measure_id, "
               "CAST(NULL AS STRING) AS district, CAST(0 AS BIGINT) AS referrals WHERE FALSE")
    query(spark, sql, "_referrals_").createOrReplaceTempView("referral_counts")
    return screened


def allocate_pools(spark, policy: Policy):
    """``entitlements``: the screen with each pool's first-come-first-served allocation (the shared query)."""
    from huiqi.batch.screen import pool_totals

    spark.createDataFrame(pool_totals(policy), schema="pool_id string, total_fen bigint").createOrReplaceTempView("pools")
    return spark.sql(pools_sql(spark.table("screened").columns))


def results(spark, entitlements):
    """The frames written: entitlements as DuckDB writes them (columns, BIGINT fen, order), rejects, referral counts."""
    from pyspark.sql import functions as F

    def order(df, *names):  # as DuckDB orders them: ascending, NULLs last
        return df.orderBy(*(F.col(n).asc_nulls_last() for n in names))

    entitlements.createOrReplaceTempView("entitlements")
    return {
        "entitlements": spark.sql(entitlements_sql("entitlements")),
        "rejects": order(spark.table("rejects"), "table", "row"),
        "referral_counts": order(spark.table("referral_counts"), "provision_id", "district"),
    }


def screen_spark(policy: Policy, source: SparkSource, as_of: dt.date, target: SparkTarget,
                 strategy: str | None = None, progress=None, master: str | None = None,
                 referral_rows: bool = False):
    """Screen a registry on Spark: read (URIs or tables) → row checks → rules → pools → write (URI or tables).
    Returns :class:`huiqi.batch.screen.ScreenResult` with ``out`` naming where the results went."""
    from huiqi.batch.screen import ScreenResult

    if not (target.uri or target.database or target.tables):
        raise ValueError("screen_spark: no output (a URI, a database or tables)")
    tick = progress or (lambda stage: None)
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    spark = session(master, hive=bool(source.database or source.tables or target.database or target.tables))
    # the rules query has a CASE per provision in ~160 arms: inferring filters from constraints alone took most of
    # the optimiser's time (216 s → 85 s on the loaded test machine); it adds no row and drops none
    spark.conf.set("spark.sql.constraintPropagation.enabled", "false")
    tick("读取登记册 reading")
    raw = read_registry(spark, source, all_tables())
    tick("校验 checking rows")
    run_checks(spark, raw, [p.id for p in policy.provisions()])
    seconds["read_and_check"] = time.perf_counter() - t
    t = time.perf_counter()
    tick("筛查 screening")
    run_rules(spark, policy, as_of, strategy, referral_rows)
    tick("资金池 pools")
    entitlements = kept(allocate_pools(spark, policy))
    seconds["rules_and_pools"] = time.perf_counter() - t
    t = time.perf_counter()
    tick("写出 writing")
    written = write_results(results(spark, entitlements), target)
    seconds["write"] = time.perf_counter() - t
    counts = entitlements.selectExpr("count(*)", "count_if(status = 'eligible')").first()
    entities = spark.table("entities_f").count()
    rejected = spark.table("rejects").count()
    out = target.uri or ", ".join(w for w in written if "/" not in w)
    return ScreenResult(Path(out) if target.uri and "://" not in target.uri else out, entities, rejected,
                        counts[0], counts[1], seconds)
