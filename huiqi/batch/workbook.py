"""The screen's files officials open: summaries and rejects as CSV, and ``screen.xlsx`` (:mod:`huiqi.exports`).

Why names beside ids: an official reads 「某某科技有限公司 · 算力券」, not an entity id and a provision id, so every id
column has its name beside it (the enterprise's name and credit code from the registry, measure and provision titles
from the policy, district names from the division standard, the registry's tables by their Chinese names). Amounts
are kept in fen in the data and shown in yuan (columns named 金额_分 in the queries); flags are 是/否. The
workbook is streamed (openpyxl's write-only mode), so a large detail sheet does not sit in memory; the row-level
sheet is written only when asked for (``huiqi screen --excel-rows``).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from openpyxl import Workbook

from huiqi import exports
from huiqi.rules.loader import Policy

STATUS_ZH = {"eligible": "符合", "not_eligible": "不符合", "referral": "请咨询", "expired": "已过期"}
POOL_STATUS_ZH = {"funded": "足额兑付", "partial": "部分兑付", "unfunded": "未获资金"}
CODED = {"状态": STATUS_ZH, "资金池状态": POOL_STATUS_ZH}  # columns whose codes are shown in Chinese
TABLES_ZH = {"entities": "主体", "other_support": "已获支持"}


def load_names(con: duckdb.DuckDBPyConnection, policy: Policy) -> None:
    """Lookup tables ``names_measure``, ``names_provision``, ``names_pool``, ``names_district``, ``names_table``."""
    from huiqi.batch.validate import load_rows
    from huiqi.profile import model as pm
    from huiqi.standards.divisions import lookup_district

    text = "VARCHAR"
    load_rows(con, "names_measure", [("id", text), ("name", text)], [(m.id, m.title_zh) for m in policy.measures])
    load_rows(con, "names_provision", [("id", text), ("name", text)], [(p.id, p.title_zh) for p in policy.provisions()])
    load_rows(con, "names_pool", [("id", text), ("name", text)],
              [(p.id, p.name_zh) for m in policy.measures for p in m.pools])
    codes = [r[0] for r in con.execute("SELECT DISTINCT district FROM entitlements UNION SELECT DISTINCT district "
                                       "FROM referral_counts").fetchall() if r[0]]
    load_rows(con, "names_district", [("id", text), ("name", text)],
              [(c, d.name_zh) for c in codes if (d := lookup_district(c)) is not None])
    tables = {k.name: k.spec.zh for k in pm.kinds_of(policy).kinds}
    load_rows(con, "names_table", [("id", text), ("name", text)], list({**tables, **TABLES_ZH}.items()))


def _named(sql: str, keys: list[tuple[str, str, str]], order: str) -> str:
    """``sql`` with a name column after each id column: (id column, lookup table, name column)."""
    picks, joins = [], []
    for i, (column, lookup, name) in enumerate(keys):
        picks.append(f"s.{column}, n{i}.name AS {name}")
        joins.append(f"LEFT JOIN {lookup} n{i} ON n{i}.id = s.{column}")
    rest = ", ".join(c for c, _, _ in keys)
    return f"SELECT {', '.join(picks)}, s.* EXCLUDE ({rest}) FROM ({sql}) s {' '.join(joins)} ORDER BY {order}"


def by_measure(sql: str) -> str:
    return _named(sql, [("措施", "names_measure", "措施名称"), ("条款", "names_provision", "条款名称")], "1, 3")


def by_district(sql: str) -> str:
    return _named(sql, [("区县代码", "names_district", "区县"), ("措施", "names_measure", "措施名称")], "1, 3")


def pools(sql: str) -> str:
    return _named(sql, [("资金池", "names_pool", "资金池名称")], "1")


ELIGIBLE = """
SELECT e.entity_id AS 主体编号, f.name AS 企业名称, f.credit_code AS 统一社会信用代码, e.district AS 区县代码, d.name AS 区县,
       e.measure_id AS 措施, m.name AS 措施名称, e.provision_id AS 条款, p.name AS 条款名称, e.event_id AS 事项编号,
       e.decision_date AS 日期, e.status AS 状态, e.amount_fen AS 金额_分, e.is_cap AS 是否上限,
       e.funded_fen AS 资金池可兑付_分, e.pool_status AS 资金池状态
FROM entitlements e LEFT JOIN entities_f f ON f.entity_id = e.entity_id LEFT JOIN names_district d ON d.id = e.district
     LEFT JOIN names_measure m ON m.id = e.measure_id LEFT JOIN names_provision p ON p.id = e.provision_id
WHERE e.status = 'eligible' ORDER BY e.entity_id, e.provision_id, e.event_id"""
REJECTS = """
SELECT r."table" AS 表, t.name AS 表名称, r."row" AS 行号, r.entity_id AS 主体编号, r.reason AS 原因
FROM rejects r LEFT JOIN names_table t ON t.id = r."table" ORDER BY r."table", r."row\""""


def _rows(con: duckdb.DuckDBPyConnection, sql: str, limit: int | None = None):
    cur = con.execute(sql + (f" LIMIT {limit}" if limit else ""))
    headers, fen = exports.money_columns([d[0] for d in cur.description])
    coded = [CODED.get(h) for h in headers]

    def rows():
        for r in exports.query_rows(cur):
            yield [codes.get(v, v) if codes and isinstance(v, str) else v
                   for v, codes in zip(exports.from_query(r, fen), coded)]

    return headers, rows()


def _sheet(wb: Workbook, title: str, con: duckdb.DuckDBPyConnection, sql: str, limit: int | None = None) -> int:
    headers, rows = _rows(con, sql, limit)
    return exports.write_sheet(wb, title, headers, rows)[1]


def write_csvs(con, out: Path, by_measure_sql: str, by_district_sql: str, encoding: str = "utf-8") -> None:
    """summary_by_measure.csv, summary_by_district.csv and rejects.csv: the workbook's columns, in yuan and Chinese."""
    for name, sql in (("summary_by_measure.csv", by_measure(by_measure_sql)),
                      ("summary_by_district.csv", by_district(by_district_sql)), ("rejects.csv", REJECTS)):
        headers, rows = _rows(con, sql)
        exports.write_csv_file(out / name, headers, rows, encoding)


NO_ROWS_NOTE = [
    ("本工作簿只含汇总、资金池和无法使用的行；逐行的符合条件明细共 {n} 行，见同一文件夹的 entitlements.parquet。",),
    ("需要在 Excel 中查看逐行明细时，筛查时加上 --excel-rows（最多 {max} 行）。",),
    ("This workbook holds the summaries, the pools and the rejected rows; the {n} eligible rows are in "
     "entitlements.parquet (add --excel-rows to the screen for them in Excel, up to {max}).",),
]


def write_workbook(con, path: Path, by_measure_sql: str, by_district_sql: str, pools_sql: str, max_rows: int,
                   rows: bool = False) -> None:
    """screen.xlsx (call :func:`load_names` first), streamed: the summaries, the pools and the rejects; the
    eligible rows (符合条件明细, up to ``max_rows``) only with ``rows`` — at a million entities they are most of
    the time and size, and the Parquet file holds them anyway; without them a 说明 sheet says where they are."""
    wb = exports.new_workbook(write_only=True)
    _sheet(wb, "按措施汇总", con, by_measure(by_measure_sql))
    _sheet(wb, "按区县汇总", con, by_district(by_district_sql))
    _sheet(wb, "资金池", con, pools(pools_sql))
    if rows:
        _sheet(wb, "符合条件明细", con, ELIGIBLE, limit=max_rows)
    _sheet(wb, "无法使用的行", con, REJECTS, limit=max_rows)
    if not rows:
        n = con.execute("SELECT count(*) FROM entitlements WHERE status = 'eligible'").fetchall()[0][0]
        note = [tuple(line.format(n=f"{n:,}", max=f"{max_rows:,}") for line in r) for r in NO_ROWS_NOTE]
        exports.write_sheet(wb, "说明", ["说明"], note, widths={1: 110}, autofilter=False)
    wb.save(path)
