"""The registry as officials keep it (issue 14, item 1): a GBK CSV with Chinese headers through ``huiqi screen``,
a workbook with Chinese sheet names under title rows, and the same amounts accepted as the project import
(1,000.00, full-width digits, 万元) — while 1e3 and 1_000 are refused with the header as written."""

from __future__ import annotations

import csv
import datetime as dt
import io

import duckdb
from openpyxl import Workbook
from typer.testing import CliRunner

from huiqi.batch.screen import screen
from huiqi.catalogue import get_policy
from huiqi.cli import app
from huiqi.standards.uscc import make_uscc

POLICY = get_policy()
A, B, C = (make_uscc(f"91530100{n:09d}") for n in (1, 2, 3))


def _csv(rows: list[list], encoding: str) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def _amounts(out) -> dict[str, int]:
    con = duckdb.connect()
    return dict(con.execute(f"SELECT entity_id, amount_fen FROM '{out}/entitlements.parquet' "
                            "WHERE provision_id = 'm07.compute_voucher' AND status = 'eligible'").fetchall())


def test_a_gbk_csv_with_chinese_headers_through_huiqi_screen(tmp_path):
    reg = tmp_path / "reg"
    reg.mkdir()
    (reg / "entities.csv").write_bytes(_csv([
        ["企业名录（2024年）"], ["主体编号", "申请人类型", "企业名称", "统一社会信用代码", "县区代码", "行业代码", "企业规模"],
        ["E1", "企业", "昆明甲科技有限公司", A, "５３０１１１", "6513", "小型"],
        ["E2", "企业", "昆明乙科技有限公司", B, "530111", "6513", "微型"],
        ["E3", "企业", "昆明丙科技有限公司", C, "530111", "6513", "微型"]], "gbk"))
    (reg / "compute_claims.csv").write_bytes(_csv([
        ["主体编号", "事项编号", "支出日期", "支出类别", "实际支出（元）"],
        ["E1", "c1", "2024年5月1日", "算力租赁", "1,000,000.00"],
        ["E2", "c1", "2024/6/1", "使用大模型技术与服务", "１０００００"],
        ["E3", "c1", "2024.06.01", "租赁算力", "1e6"]], "gbk"))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["screen", str(reg), "--as-of", "2024-09-30", "--out", str(out), "--no-excel"])
    assert result.exit_code == 0, result.output
    assert _amounts(out) == {"E1": 30_000_000, "E2": 3_000_000}
    with (out / "rejects.csv").open(encoding="utf-8-sig") as f:
        [reject] = [r for r in csv.DictReader(f) if r["表"] == "compute_claims"]
    assert reject["行号"] == "4" and "「实际支出（元）」" in reject["原因"] and "科学计数法" in reject["原因"]


def test_a_workbook_with_chinese_sheets_title_rows_and_units(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "企业名录"
    ws.append(["2024年算力券免申即享企业名录"])
    ws.append(["主体编号", "申请人类型", "名称", "统一社会信用代码", "所在县（市、区）", "国民经济行业代码", "企业规模", "在库（纳入统计联网直报）"])
    ws.append(["X1", "enterprise", "Excel企业", A, 530111, "6513", "micro", "√"])
    claims = wb.create_sheet("算力支出")
    claims.append(["主体编号", "事项编号", "事项日期", "支出类别", "实际支出（万元）"])
    claims.append(["X1", "c1", "2024年7月1日", "购买大模型应用产品", 200])
    path = tmp_path / "登记册.xlsx"
    wb.save(path)
    out = tmp_path / "out"
    result = screen(POLICY, path, dt.date(2024, 9, 30), out, excel=False)
    assert result.entities == 1 and result.rejected == 0
    assert _amounts(out) == {"X1": 50_000_000}  # 30 % of ¥2,000,000 capped at ¥500,000 a year
