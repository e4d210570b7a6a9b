"""Read a registry — a folder of Parquet or CSV files, or an Excel workbook — into DuckDB views.

Each table becomes a view ``raw_<table>`` with a ``_row`` column (its 1-based row number in
the source, for the rejects file). Parquet keeps its types. CSV and Excel go through the one tolerant
reader (:mod:`huiqi.parse.table`): UTF-8 or GBK, the header under title rows, sheets and columns named in
Chinese or English (``registry_columns.yaml``), dates, amounts and 是/否 as officials write them — arriving
as text in canonical form, typed (and checked) by :mod:`huiqi.batch.validate`; a cell the reader cannot
read keeps its text and its row carries ``_problem`` (sheet, row, header as written), which the rejects
report. A table that is absent is empty.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from huiqi.batch.schema import ENTITY_TABLE, all_tables


class RegistryError(ValueError):
    """The registry cannot be read at all (no entities table, unreadable file)."""


def _sql_str(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _registry_specs(tables: tuple[str, ...], kinds=None) -> dict[str, tuple]:
    """Each table's columns for the tolerant reader: the schema's name, the question's Chinese and English words,
    the other names in ``registry_columns.yaml``; coded values with their Chinese words and synonyms."""
    from huiqi.batch.schema import table_columns
    from huiqi.parse.table import Spec
    from huiqi.profile.questions import fact_label, fact_value

    extra = _extra()
    out = {}
    for table in tables:
        specs = []
        for col in table_columns(table, kinds):
            key = ("entity." if table == ENTITY_TABLE else "event.") + col.name
            names = [col.name, *(fact_label(key, lang) for lang in ("zh", "en")), *extra["columns"].get(col.name, [])]
            kind = _READER_KIND.get(col.kind, "text")
            choices, synonyms = {}, {}
            if col.kind == "enum":
                choices = {a: fact_value(a, "zh") or a for a in col.allowed}
                synonyms = {w: a for a in col.allowed for w in (fact_value(a, "en") or a, *extra["values"].get(a, []))}
            specs.append(Spec(col.name, tuple(dict.fromkeys(n for n in names if n)), kind, False, choices, synonyms))
        out[table] = tuple(specs)
    return out


_READER_KIND = {"money": "money", "date": "date", "bool": "bool", "int": "int", "enum": "choice", "credit_code": "code",
                "district": "code", "industry": "code"}


def _extra() -> dict:
    import yaml

    return yaml.safe_load((Path(__file__).with_name("registry_columns.yaml")).read_text(encoding="utf-8"))


def _sheet_names(tables: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    from huiqi.profile.questions import family_named

    extra = _extra()["tables"]
    out = {}
    for t in tables:
        f = family_named(t)
        words = (f.zh, f.en) if f is not None else ()
        out[t] = (*words, *(w.split("（")[0] for w in words), *extra.get(t, []))
    return out


def _text_of(value) -> str | None:
    """A normalised cell as the text the typed views read (money in yuan, dates ISO, booleans true/false)."""
    import datetime as dt

    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _register_tables(con: duckdb.DuckDBPyConnection, source: Path, tables: tuple[str, ...], kinds=None,
                     only: str | None = None) -> dict[str, str]:
    """Read a workbook or CSV file through the tolerant reader and register a ``raw_<table>`` view per table found.
    ``only``: the file is that one table (a CSV named after it, or a lone entities file)."""
    import pyarrow as pa

    from huiqi import xlsx_guard
    from huiqi.parse import table as T

    wanted = (only,) if only else tables
    specs = _registry_specs(wanted, kinds)
    money = {t: {s.field for s in sp if s.kind == "money"} for t, sp in specs.items()}
    try:
        data = source.read_bytes()
        read = T.read_many(data, specs, limits=xlsx_guard.REGISTRY, name=source.stem, sheet_names=_sheet_names(wanted),
                           optional=[t for t in wanted if t != (only or ENTITY_TABLE)], keep_bad=True)
    except T.TableRefused as e:
        if e.limit:
            raise RegistryError(f"registry: {source.name}: {e.en} / 登记册：{e.zh}") from None
        if "Excel" in e.en and source.suffix.lower() == ".xlsx":
            raise RegistryError(f"registry: {source.name} is not an Excel .xlsx workbook / 登记册：不是有效的 Excel 文件") from None
        if e.row:
            raise RegistryError(f"registry: {source.name}: a cell cannot be read: {e.en} / 登记册：{e.zh}") from None
        raise RegistryError(f"registry: {source.name}: {e.en} / 登记册：{e.zh}") from None
    found = {}
    for table, t in read.items():
        fields = list(t.columns)
        problems: dict[int, list[str]] = {}
        for p in t.problems:
            shown = f"「{p.column}」" if p.column != p.field else ""
            problems.setdefault(p.row, []).append(f"{p.field}: {shown}{p.zh} / {p.en}")  # as the typed checks word it
        cols: dict[str, list] = {f: [] for f in fields}
        rows, reasons = [], []
        for n, record in t.rows:
            for f in fields:
                v = record.get(f)
                if f in money[table] and isinstance(v, int) and not isinstance(v, bool) and n not in problems:
                    v = f"{'-' if v < 0 else ''}{abs(v) // 100}.{abs(v) % 100:02d}"
                cols[f].append(_text_of(v))
            rows.append(n)
            reasons.append("；".join(problems[n]) if n in problems else None)
        arrow = pa.table({**{f: pa.array(c, type=pa.string()) for f, c in cols.items()},
                          "_row": pa.array(rows, type=pa.int64()), "_problem": pa.array(reasons, type=pa.string())})
        con.register(f"_in_{table}", arrow)
        con.execute(f"CREATE OR REPLACE VIEW raw_{table} AS SELECT * FROM _in_{table}")
        found[table] = f"{source.name}#{t.sheet}" if source.suffix.lower() == ".xlsx" else source.name
    return found


def register_registry(con: duckdb.DuckDBPyConnection, source: Path, kinds=None) -> dict[str, str]:
    """Create ``raw_<table>`` views for every registry table; returns table → source description. The tables
    are those of ``kinds`` (a policy's), by default of every kind of the policies served (see batch.schema)."""
    source = Path(source)
    tables = all_tables(kinds)
    found: dict[str, str] = {}
    if not source.exists():
        raise RegistryError(f"registry: {source} does not exist / 登记册不存在")
    if source.is_file() and source.suffix.lower() == ".xlsx":
        found.update(_register_tables(con, source, tables, kinds))
    elif source.is_file():
        found[ENTITY_TABLE] = _register_file(con, ENTITY_TABLE, source, tables, kinds)
    else:
        for table in tables:
            for ext in (".parquet", ".csv"):
                f = source / f"{table}{ext}"
                if f.exists():
                    found[table] = _register_file(con, table, f, tables, kinds)
                    break
            else:
                f = source / f"{table}.xlsx"
                if f.exists():
                    found.update({t: d for t, d in _register_tables(con, f, tables, kinds).items() if t not in found})
    if ENTITY_TABLE not in found:
        raise RegistryError(f"registry: no '{ENTITY_TABLE}' table in {source} (entities.parquet, .csv or a sheet) / 缺少主体表")
    return found


def _register_file(con: duckdb.DuckDBPyConnection, table: str, f: Path, tables=(), kinds=None) -> str:
    suffix = f.suffix.lower()
    if suffix == ".parquet":  # the view's binding reads the footer: a file that is not Parquet fails here, once
        reader = f"read_parquet({_sql_str(f)}, file_row_number = true)"
        try:
            con.execute(f"CREATE OR REPLACE VIEW raw_{table} AS SELECT * EXCLUDE (file_row_number), "
                        f"file_row_number + 1 AS _row FROM {reader}")
        except duckdb.Error:
            raise RegistryError(f"registry: {f.name} cannot be read as Parquet / 登记册：{f.name} 不是可读的 Parquet 文件") from None
        return f.name
    if suffix == ".csv":  # UTF-8 or GBK, Chinese headers, dates and amounts as officials write them
        return _register_tables(con, f, tables, kinds, only=table)[table]
    raise RegistryError(f"registry: {f.name}: unsupported file type (use .parquet, .csv or .xlsx) / "
                        "登记册：不支持的文件类型（请用 .parquet、.csv 或 .xlsx）")
