"""The one tolerant reader (issue 14, item 1): each normalisation rule, the header found where officials put it,
CSV in the encodings Excel writes, and problems named by sheet, row and the column header as written."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from huiqi.delivery import fields, importer
from huiqi.parse import table as T
from huiqi.parse import values as V


@pytest.mark.parametrize("text", ["2024-05-01", "2024-5-1", "2024/5/1", "2024/05/01", "2024.05.01", "2024.5.1",
                                  "2024年5月1日", "2024年05月01日", "2024 年 5 月 1 日", "２０２４年５月１日", "２０２４－０５－０１",
                                  "20240501", "45413", 45413, 45413.0, dt.date(2024, 5, 1), dt.datetime(2024, 5, 1),
                                  "2024-05-01 00:00:00"])
def test_dates(text):
    assert V.date_value(text) == dt.date(2024, 5, 1)


@pytest.mark.parametrize("text", ["2024-02-30", "2024年13月1日", "5/1/2024", "明年", "2024-5", "0", -3, 45413.5, True, "1e5"])
def test_dates_refused_with_examples(text):
    with pytest.raises(V.CellError) as e:
        V.date_value(text)
    assert "2025年5月1日" in e.value.zh and "2025/5/1" in e.value.en


@pytest.mark.parametrize("value, unit, fen", [
    ("150000000元", 1, 15_000_000_000), ("2亿", 1, 20_000_000_000), ("2亿元", 1, 20_000_000_000), ("1.5万元", 1, 1_500_000),
    ("1.5万", 1, 1_500_000), ("3,000,000,000.00", 1, 300_000_000_000), ("５０００００", 1, 50_000_000),
    ("¥1,000.50", 1, 100_050), ("１，０００元", 1, 100_000), (1500.5, 1, 150_050), (15000, 10_000, 15_000_000_000),
    ("15000", 10_000, 15_000_000_000), ("1.23", 10_000, 1_230_000), ("3元", 10_000, 300), (0.5, 100_000_000, 5_000_000_000),
])
def test_money_with_units(value, unit, fen):
    assert V.money_fen(value, unit=unit) == fen


@pytest.mark.parametrize("value", ["1e30", "0.30000000000000004", 0.30000000000000004, 1e30, "9" * 20, "1_000", "-5",
                                   "1.234", "0.0000001万", "十万元", "2亿亿", "1e3万"])
def test_money_refused(value):
    with pytest.raises(V.CellError):
        V.money_fen(value)


@pytest.mark.parametrize("header, unit", [("总投资（万元）", 10_000), ("总投资(万元)", 10_000), ("总投资（亿元）", 100_000_000),
                                          ("总投资（元）", 1), ("总投资", 1), ("投资额（万）", 10_000)])
def test_header_units(header, unit):
    assert V.header_unit(header) == unit


@pytest.mark.parametrize("value, answer", [("是", True), ("否", False), ("√", True), ("×", False), ("✓", True), ("Y", True),
                                           ("n", False), ("yes", True), ("FALSE", False), (1, True), (0, False),
                                           ("有", True), ("无", False), (" 是 ", True), ("Ｙ", True), (True, True), (None, None)])
def test_yes_no(value, answer):
    assert V.yes_no(value) is answer


def test_yes_no_refused_names_the_choices():
    with pytest.raises(V.CellError) as e:
        V.yes_no("也许")
    assert "是/否" in e.value.zh and "√/×" in e.value.zh


@pytest.mark.parametrize("value, code", [("５３０１１１", "530111"), (530111, "530111"), (530111.0, "530111"),
                                         (" KM 2024-001 ", "KM2024-001"), ("ＫＭ２０２４－００１", "KM2024-001")])
def test_codes_half_width(value, code):
    assert V.code(value) == code




@pytest.mark.parametrize("word, code", [("在建", "started"), ("开工", "started"), ("started", "started"), ("续建", "started"),
                                        ("储备项目", "reserve"), ("已投产", "operating"), ("前期", "preparation")])
def test_stage_synonyms(word, code):
    spec = next(s for s in fields.specs("projects", importer._choices("projects")) if s.field == "stage")
    assert V.choice(word, spec.choices, spec.synonyms) == code


@pytest.mark.parametrize("word, code", [("外省", "out_of_province"), ("省外", "out_of_province"), ("本省", "in_province"),
                                        ("外资", "foreign"), ("境外", "foreign")])
def test_origin_synonyms(word, code):
    spec = next(s for s in fields.specs("projects", importer._choices("projects")) if s.field == "investor_origin")
    assert V.choice(word, spec.choices, spec.synonyms) == code


def test_a_choice_refused_offers_the_chinese_choices():
    spec = next(s for s in fields.specs("projects", importer._choices("projects")) if s.field == "stage")
    with pytest.raises(V.CellError) as e:
        V.choice("建成", spec.choices, spec.synonyms)
    assert "储备、前期、开工、投产" in e.value.zh


def _book(sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
        for m in (merges or {}).get(title, []):
            ws.merge_cells(m)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


SPECS = fields.specs("lists")


@pytest.mark.parametrize("header", [["清单类别", "项目名称"], ["类别", "名称"], ["List", "Project name"], ["清单类别*", " 项目\n名称 "],
                                    ["清单类别（必填）", "项目名称(必填)"], ["ｌｉｓｔ", "ｎａｍｅ"]])
def test_column_names_and_synonyms(header):
    read = T.read(_book({"Sheet1": [header, ["招商引资", "甲"]]}), SPECS)
    assert read.rows == [(2, {"kind": "招商引资", "name": "甲"})] and read.columns["kind"] == header[0]


def test_header_under_title_rows_on_the_second_sheet_with_a_merged_two_row_header():
    data = _book({"说明": [["填表说明：金额单位为万元"], ["联系人：张三"]],
                  "清单": [["2024年招商引资项目清单"], [], ["序号", "清单类别", "项目名称", "投资情况", None],
                           [None, None, None, "总投资（万元）", "发布日期"], [1, "招商引资", "甲项目", "1.5", "2024年5月1日"],
                           [2, "招商引资", "乙项目", "二万", "2024/5/1"], ["合计", None, None, "1.5", None]]},
                 merges={"清单": ["A1:E1", "A3:A4", "B3:B4", "C3:C4", "D3:E3"]})
    read = T.read(data, SPECS)
    assert read.sheet == "清单" and read.header_row == 4
    assert read.rows == [(5, {"kind": "招商引资", "name": "甲项目", "investment": 1_500_000, "published_on": dt.date(2024, 5, 1)})]
    [problem] = read.problems
    assert (problem.sheet, problem.row, problem.column) == ("清单", 6, "总投资（万元）")
    assert "工作表「清单」第6行「总投资（万元）」" in problem.text("zh")


def test_every_problem_of_a_row_is_listed_and_good_rows_kept():
    data = _book({"Sheet": [["清单类别", "项目名称", "总投资（元）", "发布日期"],
                            ["招商引资", None, "1e30", "2024-02-30"], ["招商引资", "好", "100", "2024-01-02"]]})
    read = T.read(data, SPECS)
    assert [(p.row, p.field) for p in read.problems] == [(2, "investment"), (2, "published_on"), (2, "name")]
    assert [n for n, _ in read.rows] == [3]


def test_missing_columns_name_the_sheet_and_the_chinese_headers():
    with pytest.raises(T.TableRefused) as e:
        T.read(_book({"名单": [["清单类别", "行业领域"], ["招商引资", "x"]]}), SPECS)
    assert "工作表「名单」缺少列：项目名称" in e.value.zh and e.value.field == "header"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_in_the_encodings_excel_writes(encoding):
    text = "2024年项目清单\r\n清单类别,项目名称,总投资（万元）,发布日期\r\n招商引资,昆明甲项目,\"1,500\",2024年5月1日\r\n"
    read = T.read(text.encode(encoding), SPECS, name="清单.csv")
    assert read.rows == [(3, {"kind": "招商引资", "name": "昆明甲项目", "investment": 1_500_000_000,
                              "published_on": dt.date(2024, 5, 1)})]


def test_tab_separated_and_an_unknown_encoding():
    read = T.read("类别\t名称\n招商引资\t甲\n".encode("gbk"), SPECS)
    assert read.rows == [(2, {"kind": "招商引资", "name": "甲"})]
    with pytest.raises(T.TableRefused):
        T.read(b"\xff\xff\x81\x30\x00\xfe" * 10, SPECS)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=40), st.integers(), st.floats(allow_nan=True), st.booleans(), st.none(),
                 st.dates(), st.datetimes()))
def test_the_normalisers_refuse_clearly_or_answer(value):
    for fn in (V.date_value, V.money_fen, V.yes_no, V.code, lambda v: V.money_fen(v, unit=10_000)):
        try:
            fn(value)
        except V.CellError as e:
            assert e.zh and e.en


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.one_of(st.text(max_size=12), st.integers(-10**6, 10**6), st.none()), max_size=6), max_size=8),
       st.sampled_from(["utf-8", "gbk", "utf-8-sig"]))
def test_any_csv_is_read_or_refused_clearly(rows, encoding):
    import csv

    buf = io.StringIO()
    csv.writer(buf).writerows([["清单类别", "项目名称", "总投资", "发布日期"], *rows])
    try:
        data = buf.getvalue().encode(encoding)
    except UnicodeEncodeError:
        return
    try:
        read = T.read(data, SPECS)
    except T.TableRefused as e:
        assert e.zh and e.en
        return
    for p in read.problems:
        assert p.zh and p.en and p.row >= 2
