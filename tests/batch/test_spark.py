"""The cluster path: Spark reads the registry from a URI or Hive tables, checks every row, screens and writes —
and every entitlement and every reject equals DuckDB's, row for row, from the same definitions.

One local Spark session for the module, with a Hive metastore in Derby (pyspark's own jars) under a temporary
folder; a small registry (a few thousand entities) with bad rows planted so the row checks have work to do.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from huiqi.batch.inputs import RegistryError, register_registry
from huiqi.batch.screen import ENTITLEMENTS_ORDER, allocate_pools, connect, run_rules_duckdb
from huiqi.batch.spark import (ENTITLEMENT_COLUMNS, SparkSource, SparkTarget, entitlements_sql, pools_sql,
                                screen_spark, spark_sql)
from huiqi.batch.synth import generate, write
from huiqi.batch.validate import prepare
from huiqi.catalogue import get_policy

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java 17 (.ci/run installs it)")

AS_OF = dt.date(2024, 10, 1)
N = 1_500
REJECT_COLUMNS = ("table", "row", "entity_id", "reason")


def _planted(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """Bad rows of the kinds the checks catch: check character, unknown district, duplicate id, orphan event."""
    ents = tables["entities"]
    first, second, third = ents.slice(0, 3).to_pylist()
    bad_code = {**first, "entity_id": "BAD-CODE", "credit_code": first["credit_code"][:-1] + ("0" if first["credit_code"][-1] != "0" else "1")}
    bad_district = {**third, "entity_id": "BAD-DISTRICT", "district": "999999"}
    extra = pa.Table.from_pylist([bad_code, second, bad_district], schema=ents.schema)  # `second` duplicates an id
    out = dict(tables)
    out["entities"] = pa.concat_tables([ents, extra])
    for name, t in tables.items():
        if name != "entities" and t.num_rows:
            orphan = {**t.slice(0, 1).to_pylist()[0], "entity_id": "NO-SUCH-ENTITY"}
            out[name] = pa.concat_tables([t, pa.Table.from_pylist([orphan], schema=t.schema)])
            break
    return out


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """Parquet files, and one event table as a plain CSV (text typed by the checks on both engines)."""
    import pyarrow.csv as pc

    path = tmp_path_factory.mktemp("spark-registry")
    tables = _planted(generate(N, seed=16))
    write({k: v for k, v in tables.items() if k != "vehicles"}, path)
    pc.write_csv(tables["vehicles"], path / "vehicles.csv")
    return path


@pytest.fixture(scope="module")
def duck(registry):
    """DuckDB's screen of the registry: entitlements, rejects and referral counts."""
    policy = get_policy()
    con = connect()
    prepare(con, set(register_registry(con, registry)), [p.id for p in policy.provisions()])
    run_rules_duckdb(con, policy, AS_OF, None, referral_rows=False)  # as huiqi screen: referrals counted, not rows
    allocate_pools(con, policy)
    yield con
    con.close()


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    """Local Spark with a Hive metastore in Derby under a temporary folder (nothing outside the test's folder)."""
    from pyspark.sql import SparkSession

    import huiqi.batch.spark as hs

    base = tmp_path_factory.mktemp("spark-hive")
    s = (SparkSession.builder.master("local[2]").appName("huiqi-test")
         .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
         .config("spark.sql.shuffle.partitions", "4").config("spark.sql.session.timeZone", "UTC")
         .config("spark.sql.warehouse.dir", str(base / "warehouse"))
         .config("spark.hadoop.javax.jdo.option.ConnectionURL", f"jdbc:derby:;databaseName={base}/metastore;create=true")
         .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={base}")
         .enableHiveSupport().getOrCreate())
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()
    hs._SESSION = None


def _differences(duck, ours: pa.Table, table: str, cols: tuple[str, ...]) -> tuple[int, int, int]:
    """(rows only DuckDB has, rows only Spark has, DuckDB's row count) over ``cols``."""
    duck.register("_ours", ours)
    select = ", ".join(f'"{c}"' for c in cols)
    only_duck = duck.execute(f"SELECT count(*) FROM (SELECT {select} FROM {table} EXCEPT ALL SELECT {select} FROM _ours)").fetchall()[0][0]
    only_ours = duck.execute(f"SELECT count(*) FROM (SELECT {select} FROM _ours EXCEPT ALL SELECT {select} FROM {table})").fetchall()[0][0]
    total = duck.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]  # fetched whole: DuckDB 2 wants results done
    duck.unregister("_ours")
    return only_duck, only_ours, total


def test_from_uris_to_uris_every_row_equals_duckdb(spark, duck, registry, tmp_path):
    out = tmp_path / "out"
    result = screen_spark(get_policy(), SparkSource(uri=registry.as_uri()), AS_OF, SparkTarget(uri=out.as_uri()))
    ent = pq.read_table(out / "entitlements.parquet")
    rejects = pq.read_table(out / "rejects.parquet")
    only_duck, only_spark, total = _differences(duck, ent, "entitlements", ENTITLEMENT_COLUMNS)
    assert total > 500 and (only_duck, only_spark) == (0, 0)
    assert ent.schema.field("amount_fen").type == pa.int64() and ent.schema.field("funded_fen").type == pa.int64()
    keys = list(zip(*(ent.column(c).to_pylist() for c in ("entity_id", "provision_id", "event_id"))))
    in_order = duck.execute(f"SELECT entity_id, provision_id, event_id FROM entitlements ORDER BY {ENTITLEMENTS_ORDER}")
    assert keys == in_order.fetchall()  # the rows in DuckDB's order, so the same registry gives the same file
    only_duck, only_spark, total = _differences(duck, rejects, "rejects", REJECT_COLUMNS)
    assert total >= 4 and (only_duck, only_spark) == (0, 0)  # the four planted rows at least
    reasons = dict(zip(rejects.column("entity_id").to_pylist(), rejects.column("reason").to_pylist()))
    assert reasons["BAD-CODE"].startswith("credit_code:") and reasons["BAD-DISTRICT"].startswith("district:")
    refs = pq.read_table(out / "referral_counts.parquet")
    assert _differences(duck, refs, "referral_counts", ("provision_id", "district", "referrals"))[:2] == (0, 0)
    assert (result.rows, result.rejected) == (ent.num_rows, rejects.num_rows)
    assert result.entities == duck.execute("SELECT count(*) FROM entities_f").fetchall()[0][0]


def test_cli_from_hive_tables_to_hive_tables_every_row_equals_duckdb(spark, duck, registry):
    from typer.testing import CliRunner

    from huiqi.cli import app

    spark.sql("CREATE DATABASE IF NOT EXISTS reg")
    spark.sql("CREATE DATABASE IF NOT EXISTS res")
    for f in sorted(registry.glob("*.parquet")):  # one file per table: the row numbers stay the file's
        name = "firms" if f.stem == "entities" else f.stem  # named on the command line below
        spark.read.parquet(f.as_uri()).coalesce(1).write.mode("overwrite").saveAsTable(f"reg.{name}")
    # a Hive text table (no file row index: rows numbered in the order read)
    spark.sql("CREATE TABLE IF NOT EXISTS reg.vehicles (entity_id STRING, id STRING, `date` STRING, price_incl_vat STRING, "
              "vat_rate STRING, new_energy STRING, passenger_car STRING, in_exemption_catalogue STRING) "
              "ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' STORED AS TEXTFILE")
    (spark.read.option("header", True).csv((registry / "vehicles.csv").as_uri()).coalesce(1)
     .write.insertInto("reg.vehicles", overwrite=True))
    args = ["screen", "--engine", "spark", "--as-of", AS_OF.isoformat(), "--input-database", "reg",
            "--input-table", "entities=reg.firms", "--output-database", "res",
            "--output-table", "rejects=res.bad_rows"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert {"entitlements", "bad_rows", "referral_counts"} <= {t.name for t in spark.catalog.listTables("res")}
    ent = spark.table("res.entitlements").toArrow()
    only_duck, only_spark, total = _differences(duck, ent, "entitlements", ENTITLEMENT_COLUMNS)
    assert total > 500 and (only_duck, only_spark) == (0, 0)
    rejects = spark.table("res.bad_rows").toArrow()
    assert _differences(duck, rejects, "rejects", REJECT_COLUMNS)[:2] == (0, 0)


def test_cli_refuses_unclear_tables_before_anything_runs():
    from typer.testing import CliRunner

    from huiqi.cli import app

    base = ["screen", "--engine", "spark", "--as-of", AS_OF.isoformat(), "--input-database", "reg"]
    bad = CliRunner().invoke(app, [*base, "--output-table", "res.something"])
    assert bad.exit_code == 2 and "entitlements" in bad.output and "--output-table" in bad.output
    nowhere = CliRunner().invoke(app, base)
    assert nowhere.exit_code == 2 and "--output" in nowhere.output
    duck_tables = CliRunner().invoke(app, ["screen", "--as-of", AS_OF.isoformat(), "--input-database", "reg", "--out", "x"])
    assert duck_tables.exit_code == 2 and "--engine spark" in duck_tables.output


def test_a_missing_registry_or_table_is_a_clear_error(spark, tmp_path):
    with pytest.raises(RegistryError, match="does not exist"):
        screen_spark(get_policy(), SparkSource(uri=(tmp_path / "nowhere").as_uri()), AS_OF, SparkTarget(uri=tmp_path.as_uri()))
    with pytest.raises(RegistryError, match="no such table"):
        screen_spark(get_policy(), SparkSource(tables={"entities": "reg.nothing_here"}), AS_OF,
                     SparkTarget(uri=tmp_path.as_uri()))


def test_spark_sql_is_transpiled_not_hand_written():
    sql = spark_sql(get_policy(), AS_OF)
    assert "ARRAY_CONTAINS(" in sql and "ARRAY(" in sql  # Spark spellings produced by sqlglot from the DuckDB query
    assert "list_contains" not in sql.lower()
    pools = pools_sql(list(ENTITLEMENT_COLUMNS[:-2]))
    assert "EXCLUDE" not in pools and "NULLS LAST" in pools  # stars expanded; DuckDB's order of NULLs said out loud
    order = entitlements_sql("e").split("ORDER BY")[1]  # DuckDB's order spelled for Spark: an applicant's own row first
    assert "entity_id NULLS LAST" in order and order.strip().endswith("event_id")
