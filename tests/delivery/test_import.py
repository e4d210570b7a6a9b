"""Excel import as officials do it: a bad row is reported with its row number and reason, every good
row is kept (on SQLite and PostgreSQL), and a re-import updates rather than duplicates."""

from __future__ import annotations

import io

from openpyxl import Workbook

from huiqi.catalogue import get_policy
from huiqi.delivery import commitments, importer
from huiqi.storage.models_delivery import ListEntry, Project
from huiqi.workflow import accounts


def _xlsx(header, rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


HEADER = ["项目编号", "项目名称", "投资方", "统一社会信用代码", "投资方来源", "总投资（元）", "项目阶段", "引进日期", "策划包装", "产业链"]


def test_projects_bad_rows_named_good_rows_kept(db):
    with db.transaction() as s:
        tcj = accounts.create_user(s, "tcj", "password-123", "reviewer", department="市投资促进局")
    data = _xlsx(HEADER, [
        ["K1", "好项目一", "甲公司", "91530100MA6K3YXF8W", "省外", 100000000, "前期", "2024-03-01", "否", None],   # row 2
        ["K2", "负数项目", "乙公司", None, "省外", -5, "前期", "2024-03-01", "否", None],                       # row 3
        ["K3", "错日期", "丙公司", None, "省外", 100, "前期", "2024-02-30", "否", None],                         # row 4
        [None, None, None, None, None, None, None, None, None, None],                                            # blank: skipped
        ["K1", "重复编号", "丁公司", None, "省内", 100, "储备", None, "否", None],                              # row 6
        ["K4", "好项目二", "戊公司", None, "省内", "2500000.50", "开工", None, "是", "新能源电池"],             # row 7
        ["K5", "阶段错", "己公司", None, "省外", 100, "建成", None, "否", None],                                 # row 8
    ])
    with db.transaction() as s:
        result = importer.import_projects(s, tcj, data)
    assert result.imported == 2
    assert [(e.row, e.field) for e in result.errors] == [(3, "total_investment"), (4, "introduced_on"), (6, "code"),
                                                         (8, "stage")]
    with db.transaction() as s:
        rows = {p.code: p for p in s.query(Project).all()}
        assert set(rows) == {"K1", "K4"} and rows["K4"].total_investment_fen == 250_000_050
        assert rows["K4"].packaged and rows["K4"].stage == "started" and rows["K1"].investor_origin == "out_of_province"
    # the same file again: K1 and K4 are updated, not duplicated
    with db.transaction() as s:
        again = importer.import_projects(s, tcj, data)
        assert again.imported == 2 and s.query(Project).count() == 2


def test_a_file_that_is_not_a_workbook_or_lacks_columns_is_refused_whole(db):
    with db.transaction() as s:
        tcj = accounts.create_user(s, "tcj", "password-123", "reviewer", department="市投资促进局")
        assert importer.import_projects(s, tcj, b"not excel").errors[0].field == "file"
        missing = importer.import_projects(s, tcj, _xlsx(["项目编号", "项目名称"], [["X", "Y"]]))
        assert missing.imported == 0 and missing.errors[0].row == 1 and "投资方" in missing.errors[0].reason


def test_lists_and_commitment_progress_import(db):
    with db.transaction() as s:
        commitments.seed(s, get_policy())
        fgw = accounts.create_user(s, "fgw", "password-123", "reviewer", department="市发展改革委")
        lists_file = _xlsx(["清单类别", "项目名称", "总投资（元）", "发布日期"], [
            ["重点产业链供应链项目", "项目甲", 1000000, "2024-05-01"], ["不存在的清单", "项目乙", 1, None],
            ["reits", "项目丙", "1.234", None]])
        r = importer.import_list_entries(s, fgw, lists_file)
        assert r.imported == 1 and [(e.row, e.field) for e in r.errors] == [(3, "kind"), (4, "investment")]
        assert s.query(ListEntry).count() == 1
        progress = _xlsx(["任务编号", "状态", "进展情况"], [
            ["m15.c01", "推进中", "已梳理项目清单"], ["m07.c01", "已完成", "不是本单位的"], ["m15.c02", "完成了", "状态写错"]])
        r = importer.import_commitment_progress(s, fgw, progress)
        assert r.imported == 1 and [(e.row, e.field) for e in r.errors] == [(3, "department"), (4, "status")]
        assert commitments.find(s, None, "m15.c01").status == "in_progress"


def test_the_cli_imports_a_workbook_and_names_bad_rows(tmp_path, monkeypatch):
    """As an operator runs it: exit 1 with the bad rows printed, the good rows kept."""
    from typer.testing import CliRunner

    from huiqi.cli import app
    from huiqi.storage.db import Database

    url = f"sqlite:///{tmp_path}/huiqi.db"
    monkeypatch.setenv("HUIQI_DATABASE_URL", url)
    db = Database(url)
    db.create_all()
    with db.transaction() as s:
        accounts.create_user(s, "tcj", "password-123", "reviewer", department="市投资促进局")
    book = tmp_path / "projects.xlsx"
    book.write_bytes(_xlsx(HEADER, [["K1", "好项目", "甲公司", None, "省外", 100000000, "前期", "2024-03-01", "否", None],
                                    ["K2", "坏项目", "乙公司", None, "火星", 1, "前期", None, "否", None]]))
    runner = CliRunner()
    r = runner.invoke(app, ["import", "projects", str(book), "--as", "tcj"])
    assert r.exit_code == 1 and "imported: 1" in r.output and "row 3: investor_origin" in r.output
    assert runner.invoke(app, ["import", "projects", str(book), "--as", "nobody"]).exit_code == 2
    assert runner.invoke(app, ["import", "projects", str(tmp_path / "missing.xlsx"), "--as", "tcj"]).exit_code == 2
    unknown = runner.invoke(app, ["import", "projects", str(book), "--as", "tcj", "--policy", "nope"])
    assert unknown.exit_code == 2 and "--policy" in unknown.output  # a notice not served: nothing imported
    with db.transaction() as s:
        assert [p.code for p in s.query(Project).all()] == ["K1"]
    r = runner.invoke(app, ["voice", "escalate", "--today", "2024-13-01"])
    assert r.exit_code == 2 and "--today" in r.output
