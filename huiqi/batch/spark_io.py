"""Where a Spark screen reads its registry and writes its results: URIs and Spark/Hive tables.

A registry is read from any URI the cluster's Hadoop filesystems read (``hdfs://``, ``s3a://``, ``file://``, or
a bare path on the default filesystem) — a folder holding ``entities.parquet`` (a file or a folder of part files),
``compute_claims.csv`` … or ``<table>/`` — or from catalogue tables: a database whose tables are named after the
registry's (``--input-database db``) and/or one table each (``--input-table db.entities``,
``--input-table compute_claims=db.claims_latest``). Absent tables are empty, as on DuckDB.

Every table becomes a temporary view ``raw_<table>`` with ``_row``, the row's 1-based number in its source: for
Parquet (files and Parquet tables) the file's own row index, numbered on across the files in path order — so a
single file gives exactly DuckDB's numbers; for other sources (CSV, Hive text tables) the position in the order
Spark reads them. It is what the rejects call 行号 and what "the first row is kept" means for duplicates.

Nothing is downloaded at run time and nothing runs on DuckDB: the filesystems are the cluster's own (its
``hadoop-aws`` for ``s3a://``, configured as usual with ``spark.hadoop.fs.s3a.*``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from huiqi.batch.inputs import RegistryError

OUTPUT_TABLES = ("entitlements", "rejects", "referral_counts")


@dataclass(frozen=True)
class SparkSource:
    """A registry for Spark: a URI (folder or one entities file), a database, and per-table names."""

    uri: str | None = None
    database: str | None = None
    tables: dict[str, str] = field(default_factory=dict)  # registry table → catalogue table name


@dataclass(frozen=True)
class SparkTarget:
    """Where results go: a URI folder (Parquet datasets), a database, and per-table names."""

    uri: str | None = None
    database: str | None = None
    tables: dict[str, str] = field(default_factory=dict)  # entitlements / rejects / referral_counts → table name

    def table_for(self, name: str) -> str | None:
        if name in self.tables:
            return self.tables[name]
        return f"{self.database}.{name}" if self.database else None


def parse_table_options(values: list[str] | None, names: tuple[str, ...], option: str) -> dict[str, str]:
    """``db.entities`` (the registry table is the last part of the name) or ``entities=db.firms``."""
    out: dict[str, str] = {}
    for value in values or []:
        key, eq, table = value.partition("=")
        key, table = (key.strip(), table.strip()) if eq else (value.strip().rsplit(".", 1)[-1], value.strip())
        if key not in names or not table:
            raise RegistryError(f"{option} {value}: not one of {', '.join(names)} (write db.{names[0]} or "
                                f"{names[0]}=db.table) / {option} 须为 {'、'.join(names)} 之一")
        out[key] = table
    return out


def _hadoop_path(spark, uri: str):
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    return path, path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def path_exists(spark, uri: str) -> bool:
    """Whether ``uri`` exists on its filesystem (any scheme the cluster's Hadoop configuration knows)."""
    path, fs = _hadoop_path(spark, uri)
    return bool(fs.exists(path))


def _is_file(spark, uri: str) -> bool:
    path, fs = _hadoop_path(spark, uri)
    return bool(fs.exists(path) and fs.getFileStatus(path).isFile())


def _read_file(spark, uri: str):
    lower = uri.lower().rstrip("/")
    if lower.endswith(".csv"):  # text as written; the row checks type it (plain UTF-8, the schema's column names)
        return spark.read.option("header", True).option("inferSchema", False).option("mode", "PERMISSIVE").csv(uri)
    if lower.endswith((".xlsx", ".xls")):
        raise RegistryError(f"registry: {uri}: Excel workbooks are read by the DuckDB engine; for Spark save the "
                            "sheets as Parquet / 登记册：Spark 引擎不读 Excel，请另存为 Parquet")
    return spark.read.parquet(uri)


def _has_row_index(df) -> bool:
    """Whether the source gives each row's index in its file (Parquet does; CSV and Hive text tables do not)."""
    import logging

    from pyspark.errors import AnalysisException

    quiet = logging.getLogger("DataFrameQueryContextLogger")  # pyspark logs every analysis error it raises
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        return "row_index" in df.select("_metadata").schema["_metadata"].dataType.fieldNames()
    except AnalysisException:
        return False
    finally:
        quiet.setLevel(level)


def numbered(spark, df):
    """``df`` with ``_row``: Parquet's row index numbered on across files in path order, else the read order."""
    from pyspark.sql import functions as F

    if _has_row_index(df):
        single = len(df.inputFiles()) <= 1  # a listing, no job
        df = df.select("*", F.col("_metadata.file_path").alias("__file"), F.col("_metadata.row_index").alias("__ri"))
    else:  # the position within each read partition, the partitions in order
        single = df.rdd.getNumPartitions() <= 1
        df = df.select("*", F.spark_partition_id().alias("__file"), F.monotonically_increasing_id().alias("__mid"))
        df = df.withColumn("__ri", F.col("__mid") - F.shiftleft(F.col("__file").cast("bigint"), 33)).drop("__mid")
    part, index = "__file", "__ri"
    if single:
        return df.withColumn("_row", F.col(index) + 1).drop(part, index)
    counts = sorted((r[0], r[1]) for r in df.groupBy(part).count().collect())
    offsets, start = [], 0
    for key, n in counts:
        offsets.append((key, start))
        start += n
    offsets_df = spark.createDataFrame(offsets, schema=[part, "__offset"])
    return (df.join(F.broadcast(offsets_df), part).withColumn("_row", F.col("__offset") + F.col(index) + 1)
            .drop(part, index, "__offset"))


def read_registry(spark, source: SparkSource, tables: tuple[str, ...]) -> dict[str, object]:
    """``raw_<table>`` temporary views for every table found; returns table → the DataFrame (with ``_row``)."""
    from huiqi.batch.schema import ENTITY_TABLE

    frames: dict[str, object] = {}
    if source.uri:
        base = source.uri.rstrip("/")
        if not path_exists(spark, base):
            raise RegistryError(f"registry: {source.uri} does not exist / 登记册不存在")
        if _is_file(spark, base):
            frames[ENTITY_TABLE] = _read_file(spark, base)
        else:
            for table in tables:
                for candidate in (f"{base}/{table}.parquet", f"{base}/{table}.csv", f"{base}/{table}"):
                    if path_exists(spark, candidate):
                        frames[table] = _read_file(spark, candidate)
                        break
    named = {t: f"{source.database}.{t}" for t in tables if source.database and
             spark.catalog.tableExists(f"{source.database}.{t}")}
    if source.database and not spark.catalog.databaseExists(source.database):
        raise RegistryError(f"--input-database {source.database}: no such database / 数据库不存在")
    named.update(source.tables)
    for table, name in named.items():
        if not spark.catalog.tableExists(name):
            raise RegistryError(f"--input-table {name}: no such table / 数据表不存在")
        frames[table] = spark.table(name)
    if ENTITY_TABLE not in frames:
        where = source.uri or source.database or "--input-table"
        raise RegistryError(f"registry: no '{ENTITY_TABLE}' table in {where} / 缺少主体表")
    out = {}
    for table, df in frames.items():
        df = numbered(spark, df)
        df.createOrReplaceTempView(f"raw_{table}")
        out[table] = df
    return out


def write_results(frames: dict[str, object], target: SparkTarget) -> list[str]:
    """Write each result to the target's URI (``<uri>/<name>.parquet``, a Parquet dataset) and/or its table;
    returns where each went."""
    written = []
    for name, df in frames.items():
        if target.uri:
            uri = f"{target.uri.rstrip('/')}/{name}.parquet"
            df.write.mode("overwrite").option("compression", "zstd").parquet(uri)
            written.append(uri)
        table = target.table_for(name)
        if table:
            df.write.mode("overwrite").format("parquet").saveAsTable(table)
            written.append(table)
    return written
