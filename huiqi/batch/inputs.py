"""Read a registry — a folder of Parquet or CSV files, or an Excel workbook — into DuckDB views.

Each table becomes a view ``raw_<table>`` with a ``_row`` column (its 1-based row number in
the source, for the rejects file). Parquet keeps its types; CSV and Excel cells arrive as text
and are typed (and checked) by :mod:`huiqi.batch.validate`. A table that is absent is empty.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from huiqi.batch.schema import ENTITY_TABLE, all_tables


class RegistryError(ValueError):
    """The registry cannot be read at all (no entities table, unreadable file)."""


def _sql_str(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _register_xlsx(con: duckdb.DuckDBPyConnection, path: Path, tables: tuple[str, ...]) -> set[str]:
    import openpyxl
    import pyarrow as pa

    from huiqi import xlsx_guard

    try:  # the same limits as the pages' imports, sized for a whole registry, checked before inflating
        xlsx_guard.check(path, xlsx_guard.REGISTRY)
    except xlsx_guard.WorkbookRefused as e:
        raise RegistryError(f"registry: {path.name}: {e.en} / 登记册：{e.zh}") from None
    found = set()
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:
        raise RegistryError(f"registry: {path.name} is not an Excel .xlsx workbook / 登记册：不是有效的 Excel 文件") from None
    for ws in wb.worksheets:
        if ws.title not in tables:
            continue
        try:  # openpyxl reads lazily: a corrupt cell (a date in month 13, a missing shared string) raises here
            rows = ws.iter_rows(values_only=True)
            header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
            cols: list[list] = [[] for _ in header]
            for r in rows:
                if r is None or all(v is None for v in r):
                    continue
                for i in range(len(header)):
                    v = r[i] if i < len(r) else None
                    cols[i].append(None if v is None else (v.isoformat() if hasattr(v, "isoformat") else str(v)))
        except Exception:
            raise RegistryError(f"registry: {path.name}#{ws.title}: a cell cannot be read / 登记册：工作表“{ws.title}”"
                                "有无法读取的单元格") from None
        table = pa.table({h: pa.array(c, type=pa.string()) for h, c in zip(header, cols) if h})
        con.register(f"_xlsx_{ws.title}", table)
        con.execute(f"CREATE OR REPLACE VIEW raw_{ws.title} AS SELECT *, row_number() OVER () + 1 AS _row FROM _xlsx_{ws.title}")
        found.add(ws.title)
    wb.close()
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
        for t in _register_xlsx(con, source, tables):
            found[t] = f"{source.name}#{t}"
    elif source.is_file():
        found[ENTITY_TABLE] = _register_file(con, ENTITY_TABLE, source)
    else:
        for table in tables:
            for ext in (".parquet", ".csv"):
                f = source / f"{table}{ext}"
                if f.exists():
                    found[table] = _register_file(con, table, f)
                    break
            else:
                f = source / f"{table}.xlsx"
                if f.exists():
                    for t in _register_xlsx(con, f, tables):
                        found[t] = f.name
    if ENTITY_TABLE not in found:
        raise RegistryError(f"registry: no '{ENTITY_TABLE}' table in {source} (entities.parquet, .csv or a sheet) / 缺少主体表")
    return found


def _register_file(con: duckdb.DuckDBPyConnection, table: str, f: Path) -> str:
    suffix = f.suffix.lower()
    if suffix == ".parquet":
        reader = f"read_parquet({_sql_str(f)})"
        numbering = "file_row_number + 1 AS _row"
        reader = f"read_parquet({_sql_str(f)}, file_row_number = true)"
        con.execute(f"CREATE OR REPLACE VIEW raw_{table} AS SELECT * EXCLUDE (file_row_number), {numbering} FROM {reader}")
    elif suffix == ".csv":
        reader = f"read_csv({_sql_str(f)}, all_varchar = true, header = true)"
        con.execute(f"CREATE OR REPLACE VIEW raw_{table} AS SELECT *, row_number() OVER () + 1 AS _row FROM {reader}")
    else:
        raise RegistryError(f"{f.name}: unsupported file type (use .parquet, .csv or .xlsx)")
    try:
        con.execute(f"SELECT * FROM raw_{table} LIMIT 0")
    except duckdb.Error as e:
        raise RegistryError(f"{f.name}: cannot be read: {e}") from None
    return f.name
