"""Screen a registry: ``huiqi screen REGISTRY --as-of DATE --out DIR [--engine duckdb|spark]``.

Stages: read → type and check every row (bad rows to ``rejects``) → derive facts → run the
compiled rule query → allocate budget pools → write

- ``entitlements.parquet`` — entity, district, provision, measure, event, status, amount in fen,
  cap flag, explanation key, pool and the amount the pool could fund;
- ``summary_by_measure.csv`` and ``summary_by_district.csv`` — Chinese headers, names beside ids, yuan;
- ``rejects.csv`` — table, source row, entity and reason for every row that could not be used
  (CSV: UTF-8 with a BOM, or GB18030 with ``encoding="gbk"``);
- ``screen.xlsx`` — the summaries, the pools, the rejects and (up to Excel's limit) the eligible rows,
  with Chinese headers and yuan formatting, for officials.

**Budget pools** are allocated after everything else, first come first served by the decision
date (the claim's date), then entity, event and provision id (one row each). The claim that crosses a pool's remaining
balance is funded **in part**, up to what is left (``pool_status = partial``); later claims get
nothing (``unfunded``). The per-applicant calculator does not allocate pools (a pool is shared by
all applicants), so its amounts are compared with ``amount_fen``, before allocation.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from huiqi.batch.compile import screen_sql
from huiqi.batch.inputs import register_registry
from huiqi.batch.stages import READ_AND_CHECK, SCREEN_STAGES, tell, watching
from huiqi.batch.validate import prepare
from huiqi.rules.loader import Policy


@dataclass
class ScreenResult:
    out: Path
    entities: int
    rejected: int
    rows: int
    eligible: int
    seconds: dict[str, float] = field(default_factory=dict)


def connect(memory_limit: str | None = None, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """DuckDB with bounded memory: beyond ``memory_limit`` it spills to a temporary folder, so a
    registry of any size runs in fixed memory (HUIQI_DUCKDB_MEMORY, default 800MB)."""
    import os
    import tempfile

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit or os.environ.get('HUIQI_DUCKDB_MEMORY', '800MB')}'")
    con.execute(f"SET temp_directory = '{os.environ.get('HUIQI_DUCKDB_TEMP', tempfile.gettempdir())}/huiqi-duckdb-spill'")
    con.execute("SET preserve_insertion_order = false")
    if threads:
        con.execute(f"SET threads = {threads}")
    return con


def pool_totals(policy: Policy) -> list[tuple[str, int]]:
    return [(p.id, int(p.total * 100)) for m in policy.measures for p in m.pools]


# The allocation as one query over ``screened`` and ``pools`` (DuckDB text; the Spark engine transpiles it).
# Amounts stay BIGINT fen (a running sum is wider), so every file has amount_fen and funded_fen as BIGINT.
POOLS_UNPOOLED = """
        SELECT *, CAST(NULL AS BIGINT) AS funded_fen, CAST(NULL AS VARCHAR) AS pool_status
        FROM screened WHERE pool_id IS NULL OR status <> 'eligible' OR amount_fen IS NULL
"""
POOLS_POOLED = """
        SELECT * EXCLUDE (total_fen, running),
               CAST(greatest(0, least(amount_fen, total_fen - (running - amount_fen))) AS BIGINT) AS funded_fen,
               CASE WHEN running <= total_fen THEN 'funded'
                    WHEN running - amount_fen < total_fen THEN 'partial' ELSE 'unfunded' END AS pool_status
        FROM (SELECT s.*, p.total_fen,
                     sum(s.amount_fen) OVER (PARTITION BY s.pool_id ORDER BY s.decision_date, s.entity_id, s.event_id, s.provision_id
                                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running
              FROM screened s JOIN pools p USING (pool_id)
              WHERE s.status = 'eligible' AND s.amount_fen IS NOT NULL)
"""
ALLOCATE_POOLS_ROWS = POOLS_UNPOOLED + "        UNION ALL" + POOLS_POOLED
# The order of every entitlements file: entity, provision, event (an applicant's own row first). The three
# name one row, so the same registry and date give the same bytes whatever the threads did.
ENTITLEMENTS_ORDER = "entity_id, provision_id, event_id NULLS FIRST"
ALLOCATE_POOLS = ALLOCATE_POOLS_ROWS + "ORDER BY " + ENTITLEMENTS_ORDER + "\n"
ENTITLEMENT_COLUMNS = ("entity_id", "district", "provision_id", "measure_id", "event_id", "decision_date", "status",
                       "amount_fen", "is_cap", "explanation_key", "pool_id", "funded_fen", "pool_status")


def allocate_pools(con: duckdb.DuckDBPyConnection, policy: Policy) -> None:
    """First come, first served by decision date; the crossing claim is funded in part."""
    from huiqi.batch.validate import load_rows

    load_rows(con, "pools", [("pool_id", "VARCHAR"), ("total_fen", "BIGINT")], pool_totals(policy))
    # only the pooled claims are allocated and kept (a few thousand rows); ``entitlements`` is a view of them
    # beside the other rows of ``screened``, not a second copy of every row — ALLOCATE_POOLS_ROWS read in two
    con.execute("CREATE OR REPLACE TABLE pooled AS " + POOLS_POOLED)
    if con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'entitlements'").fetchone()[0]:
        con.execute("DROP TABLE entitlements")
    con.execute("CREATE OR REPLACE VIEW entitlements AS " + POOLS_UNPOOLED + " UNION ALL SELECT * FROM pooled")


def run_rules_duckdb(con: duckdb.DuckDBPyConnection, policy: Policy, as_of: dt.date, strategy: str | None,
                     overrides: dict | None = None, referral_rows: bool = True) -> None:
    con.execute("CREATE OR REPLACE TABLE screened AS " + screen_sql(policy, as_of, strategy, overrides, referral_rows))
    count_referrals(con, policy, as_of, referral_rows, strategy)


def count_referrals(con: duckdb.DuckDBPyConnection, policy: Policy, as_of: dt.date, referral_rows: bool,
                    strategy: str | None = None) -> None:
    """``referral_counts``: entity-level referrals by provision and district (empty when they are rows)."""
    from huiqi.batch.compile import referral_counts_sql

    sql = referral_counts_sql(policy, as_of, strategy=strategy)
    if referral_rows or not sql:
        sql = "SELECT NULL::VARCHAR AS provision_id, NULL::VARCHAR AS measure_id, NULL::VARCHAR AS district, 0::BIGINT AS referrals WHERE FALSE"
    con.execute("CREATE OR REPLACE TABLE referral_counts AS " + sql)


def read_and_check(con: duckdb.DuckDBPyConnection, policy: Policy, registry: Path, progress=None) -> None:
    """Register ``registry``'s tables in ``con`` and type and check their rows (:func:`huiqi.batch.validate.prepare`),
    telling ``progress`` of the reading and checking stages (the first two of every batch job's stages) — the
    screen, the what-if and the 免申即享 offers begin alike."""
    read, check = READ_AND_CHECK
    tell(progress, read)
    present = set(register_registry(con, registry))
    tell(progress, read, rows={"表 tables": len(present)})
    tell(progress, check)
    with watching(con, progress, check):
        prepare(con, present, [p.id for p in policy.provisions()])


def screen(policy: Policy, registry: Path, as_of: dt.date, out: Path, engine: str = "duckdb",
           strategy: str | None = None, progress=None, spark_master: str | None = None,
           excel: bool = True, referral_rows: bool = False, encoding: str = "utf-8",
           excel_rows: bool = False) -> ScreenResult:
    """Screen ``registry`` and write the outputs to ``out`` (CSV in ``encoding``: utf-8 with a BOM, or gbk;
    ``excel_rows``: the workbook's eligible-rows sheet too).
    ``progress`` is told of each stage (:data:`huiqi.batch.stages.SCREEN_STAGES`), its row counts and how far
    its query has got (:mod:`huiqi.batch.stages`)."""
    if engine == "spark":  # the cluster path: read, check, screen and write on Spark (huiqi.batch.spark)
        from huiqi.batch.spark import SparkSource, SparkTarget, screen_spark

        return screen_spark(policy, SparkSource(uri=str(registry)), as_of, SparkTarget(uri=str(out)), strategy,
                            progress, spark_master, referral_rows)
    read, check, rules, pools, write = SCREEN_STAGES
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    con = connect()
    read_and_check(con, policy, registry, progress)
    entities, rejected = con.execute("SELECT (SELECT count(*) FROM entities_f), (SELECT count(*) FROM rejects)").fetchone()
    tell(progress, check, rows={"主体 entities": entities, "拒绝 rejected": rejected})
    seconds["read_and_check"] = time.perf_counter() - t
    t = time.perf_counter()
    tell(progress, rules)
    with watching(con, progress, rules):
        run_rules_duckdb(con, policy, as_of, strategy, referral_rows=referral_rows)
    tell(progress, rules, rows={"结果行 rows": con.execute("SELECT count(*) FROM screened").fetchone()[0]})
    tell(progress, pools)
    with watching(con, progress, pools):
        allocate_pools(con, policy)
    rows, eligible = con.execute("SELECT count(*), count(*) FILTER (WHERE status = 'eligible') FROM entitlements").fetchone()
    tell(progress, pools, rows={"符合 eligible": eligible})
    seconds["rules_and_pools"] = time.perf_counter() - t
    t = time.perf_counter()
    tell(progress, write)
    out.mkdir(parents=True, exist_ok=True)
    with watching(con, progress, write):
        write_outputs(con, policy, out, excel=excel, encoding=encoding, excel_rows=excel_rows)
    tell(progress, write, rows={"写出行 rows written": rows})
    seconds["write"] = time.perf_counter() - t
    con.close()
    return ScreenResult(out, entities, rejected, rows, eligible, seconds)


def _path(p: Path) -> str:
    return "'" + str(p).replace("'", "''") + "'"


SUMMARY_BY_MEASURE = """
WITH ref AS (SELECT provision_id, any_value(measure_id) AS measure_id, sum(referrals) AS n FROM referral_counts GROUP BY 1),
keys AS (SELECT DISTINCT measure_id, provision_id FROM entitlements UNION SELECT measure_id, provision_id FROM ref)
SELECT k.measure_id AS 措施, k.provision_id AS 条款,
       count(*) FILTER (WHERE e.status = 'eligible') AS 符合条件数,
       count(DISTINCT e.entity_id) FILTER (WHERE e.status = 'eligible') AS 受益主体数,
       count(*) FILTER (WHERE e.status = 'referral') + COALESCE(any_value(ref.n), 0) AS 待咨询数,
       count(*) FILTER (WHERE e.status = 'expired') AS 已过期数,
       CAST(COALESCE(sum(e.amount_fen) FILTER (WHERE e.status = 'eligible'), 0) AS BIGINT) AS 测算金额_分,
       CAST(COALESCE(sum(e.funded_fen), 0) AS BIGINT) AS 资金池可兑付_分,
       COALESCE(bool_or(e.is_cap), FALSE) AS 含上限
FROM keys k LEFT JOIN entitlements e ON e.provision_id = k.provision_id LEFT JOIN ref ON ref.provision_id = k.provision_id
GROUP BY ALL ORDER BY 1, 2
"""
SUMMARY_BY_DISTRICT = """
WITH rows AS (
  SELECT district, measure_id, count(*) FILTER (WHERE status = 'eligible') AS eligible,
         count(*) FILTER (WHERE status = 'referral') AS referrals,
         COALESCE(sum(amount_fen) FILTER (WHERE status = 'eligible'), 0) AS fen
  FROM entitlements GROUP BY ALL
  UNION ALL SELECT district, measure_id, 0, referrals, 0 FROM referral_counts)
SELECT district AS 区县代码, measure_id AS 措施, sum(eligible) AS 符合条件数, sum(referrals) AS 待咨询数,
       CAST(sum(fen) AS BIGINT) AS 测算金额_分
FROM rows GROUP BY ALL ORDER BY 1, 2
"""
POOLS = """
SELECT p.pool_id AS 资金池, p.total_fen AS 总额_分,
       CAST(COALESCE(sum(e.funded_fen), 0) AS BIGINT) AS 已分配_分,
       CAST(COALESCE(sum(e.amount_fen) FILTER (WHERE e.status = 'eligible'), 0) AS BIGINT) AS 申请合计_分,
       count(*) FILTER (WHERE e.pool_status = 'unfunded') AS 未获资金笔数,
       min(e.decision_date) FILTER (WHERE e.pool_status IN ('partial', 'unfunded')) AS 用尽日期
FROM pools p LEFT JOIN entitlements e USING (pool_id) GROUP BY ALL ORDER BY 1
"""
EXCEL_MAX_ROWS = 1_000_000


def write_outputs(con: duckdb.DuckDBPyConnection, policy: Policy, out: Path, excel: bool = True,
                  encoding: str = "utf-8", excel_rows: bool = False) -> None:
    con.execute(f"""COPY (SELECT {', '.join(ENTITLEMENT_COLUMNS)} FROM entitlements ORDER BY {ENTITLEMENTS_ORDER})
                    TO {_path(out / 'entitlements.parquet')} (FORMAT parquet, COMPRESSION zstd)""")
    from huiqi.batch import workbook  # through huiqi.exports: names beside ids, yuan, 是/否, no formulas

    workbook.load_names(con, policy)
    workbook.write_csvs(con, out, SUMMARY_BY_MEASURE, SUMMARY_BY_DISTRICT, encoding)
    if excel:
        workbook.write_workbook(con, out / "screen.xlsx", SUMMARY_BY_MEASURE, SUMMARY_BY_DISTRICT, POOLS, EXCEL_MAX_ROWS,
                                rows=excel_rows)
