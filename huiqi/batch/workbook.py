"""The Excel workbook officials open: Chinese headers, yuan with two decimals, frozen header rows.

openpyxl's write-only mode streams rows, so a large detail sheet does not sit in memory.
Amounts are kept in fen in the data and shown in yuan (fen / 100) with a ¥ number format.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from openpyxl import Workbook

from huiqi import exports

STATUS_ZH = {"eligible": "符合", "not_eligible": "不符合", "referral": "请咨询", "expired": "已过期"}


def _sheet(wb: Workbook, title: str, con: duckdb.DuckDBPyConnection, sql: str, limit: int | None = None) -> int:
    cur = con.execute(sql + (f" LIMIT {limit}" if limit else ""))
    names = [d[0] for d in cur.description]
    ws = exports.add_sheet(wb, title, [n.replace("_分", "（元）") for n in names])
    money = [n.endswith("_分") for n in names]
    rows = 0
    while batch := cur.fetchmany(10_000):
        for r in batch:
            exports.append(ws, (exports.yuan(v) if is_money and v is not None
                                else STATUS_ZH[v] if isinstance(v, str) and v in STATUS_ZH else v
                                for v, is_money in zip(r, money)))
            rows += 1
    return rows


def write_workbook(con, path: Path, by_measure: str, by_district: str, pools: str, max_rows: int) -> None:
    wb = exports.new_workbook(write_only=True)
    _sheet(wb, "按措施汇总", con, by_measure)
    _sheet(wb, "按区县汇总", con, by_district)
    _sheet(wb, "资金池", con, pools)
    _sheet(wb, "符合条件明细", con, """
        SELECT entity_id AS 主体编号, district AS 区县代码, measure_id AS 措施, provision_id AS 条款, event_id AS 事项,
               decision_date AS 日期, status AS 状态, amount_fen AS 金额_分, is_cap AS 是否上限, explanation_key AS 说明代码,
               funded_fen AS 资金池可兑付_分, pool_status AS 资金池状态
        FROM entitlements WHERE status = 'eligible' ORDER BY entity_id, provision_id, event_id""", limit=max_rows)
    _sheet(wb, "无法使用的行", con, "SELECT \"table\" AS 表, \"row\" AS 行号, entity_id AS 主体编号, reason AS 原因 FROM rejects",
           limit=max_rows)
    wb.save(path)
