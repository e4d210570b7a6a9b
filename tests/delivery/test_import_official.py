"""The official's own workbook imports without edits (issue 14, item 1), on SQLite and PostgreSQL; a bad value is
named by sheet, row and the header as written, with every problem of its row."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from huiqi.delivery import importer
from huiqi.storage.models_delivery import Project
from huiqi.workflow import accounts
from tests.delivery import official_workbook as W


def test_the_officials_workbook_imports_without_edits(db):
    with db.transaction() as s:
        tcj = accounts.create_user(s, "tcj", "password-123", "reviewer", department="市投资促进局")
        result = importer.import_projects(s, tcj, W.build())
    assert result.errors == [] and result.imported == len(W.EXPECTED)
    with db.transaction() as s:
        got = {p.code: (p.total_investment_fen, p.annual_investment_fen, p.stage, p.investor_origin, p.introduced_on,
                        p.packaged, p.district) for p in s.query(Project).all()}
    assert got == W.EXPECTED


def test_bad_cells_are_named_by_sheet_row_and_header_as_written(db):
    wb = load_workbook(io.BytesIO(W.build()))
    ws = wb["重大项目"]
    ws["F5"], ws["H5"], ws["I5"] = "1e30", "建成", "2024年2月30日"  # row 5: three problems
    buf = io.BytesIO()
    wb.save(buf)
    with db.transaction() as s:
        tcj = accounts.create_user(s, "tcj", "password-123", "reviewer", department="市投资促进局")
        result = importer.import_projects(s, tcj, buf.getvalue())
    assert result.imported == len(W.EXPECTED) - 1
    assert [(e.row, e.field, e.column, e.sheet) for e in result.errors] == [
        (5, "total_investment", "总投资（万元）", "重大项目"), (5, "stage", "建设阶段", "重大项目"),
        (5, "introduced_on", "引进时间", "重大项目")]
    stage = result.errors[1].reason
    assert "「建设阶段」" in stage and "储备、前期、开工、投产" in stage and "工作表「重大项目」" in stage
    assert "total_investment" not in result.errors[0].reason and "introduced_on" not in result.errors[2].reason
