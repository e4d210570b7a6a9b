"""The import templates are real templates (issue 14): a dropdown on every coded column, an example row marked
【示例】 that the importer skips when it is left in (and that imports cleanly once its mark is taken off), a 说明
sheet explaining each column from columns.yaml, and a 代码表 sheet with the codes the dropdowns offer. Imports run
on SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from huiqi import policies
from huiqi.delivery import commitments, fields, importer, templates
from huiqi.storage.models_delivery import CommitmentReport, ListEntry, Project
from huiqi.workflow import accounts

CODED = {"projects": {"investor_origin", "district", "stage", "packaged", "fits_park_leading_industry",
                      "technical_renovation", "park_development_mode", "in_mohan_border_park"},
         "lists": {"kind", "district"}, "progress": {"commitment_id", "status"}}


def _book(table: str):
    return load_workbook(io.BytesIO(templates.workbook(table)))


def _validations(ws) -> dict[str, list[str]]:
    """header → the dropdown's choices (read from the sheet its formula names, or the inline list)."""
    wb = ws.parent
    headers = {c.column_letter: c.value for c in ws[1]}
    out = {}
    for dv in ws.data_validations.dataValidation:
        assert dv.type == "list" and dv.showErrorMessage
        letter = str(dv.sqref).split(":")[0].rstrip("0123456789")
        formula = dv.formula1
        if formula.startswith('"'):
            choices = formula.strip('"').split(",")
        else:
            sheet, cells = formula.split("!")
            first, last = cells.replace("$", "").split(":")
            choices = [row[0].value for row in wb[sheet.strip("'")][f"{first}:{last}"]]
        out[headers[letter]] = choices
    return out


@pytest.mark.parametrize("table", ["projects", "lists", "progress"])
def test_each_template_has_dropdowns_an_example_and_an_explanation(table):
    wb = _book(table)
    assert wb.sheetnames == [templates.SHEETS[table], "说明", "代码表"]
    ws = wb.worksheets[0]
    cols = fields.about(table)
    assert [c.value for c in ws[1]] == [c["header"] for c in cols]
    assert ws.freeze_panes == "A2" and all(c.font.b for c in ws[1])
    by_field = {c["field"]: c["header"] for c in cols}
    dropdowns = _validations(ws)
    assert set(dropdowns) == {by_field[f] for f in CODED[table]}
    for header, choices in dropdowns.items():
        assert choices and all(isinstance(v, str) and v for v in choices), header
    if table == "projects":
        assert dropdowns["项目阶段"] == ["储备", "前期", "开工", "投产"] and dropdowns["策划包装"] == ["是", "否"]
        assert "530102" in dropdowns["县区代码"]
    if table == "progress":
        assert dropdowns["状态"] == ["未启动", "推进中", "已完成"]
        assert dropdowns["任务编号"] == [s.id for s in commitments.extract(policies.load())]
    # the example row: marked, grey, and every coded cell one of its dropdown's choices
    example = {c["field"]: ws.cell(row=2, column=i + 1) for i, c in enumerate(cols)}
    assert any(isinstance(c.value, str) and c.value.startswith(templates.EXAMPLE_MARK) for c in example.values())
    assert all(c.font.i for c in example.values())
    for f in CODED[table]:
        if example[f].value is not None:
            assert example[f].value in dropdowns[by_field[f]], f
    # 说明: one row per column, saying whether it is required and how to fill it in
    about = {r[0].value: r for r in wb["说明"].iter_rows(min_row=2) if r[0].value in by_field.values()}
    assert set(about) == set(by_field.values())
    for c in cols:
        row = about[c["header"]]
        assert row[1].value == ("是" if c["required"] else "否") and row[2].value and row[3].value == c["help"]
    assert any(templates.EXAMPLE_MARK in str(r[0].value) for r in wb["说明"].iter_rows())


def test_every_column_is_explained_in_columns_yaml():
    for table in CODED:
        assert all(c["help"] for c in fields.about(table)), table


def _unmarked(data: bytes) -> bytes:
    """The template with the example's mark taken off (as if an official typed that row)."""
    wb = load_workbook(io.BytesIO(data))
    for c in wb.worksheets[0][2]:
        if isinstance(c.value, str) and c.value.startswith(templates.EXAMPLE_MARK):
            c.value = c.value[len(templates.EXAMPLE_MARK):]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_the_templates_round_trip_through_the_importer(db):
    with db.transaction() as s:
        dept = accounts.create_user(s, "tcj", "a-long-password-1", "reviewer", department="市投资促进局")
        adm = accounts.create_user(s, "adm", "a-long-password-1", "admin")
        commitments.seed(s, policies.load())
    for table, run, model, who in (("projects", importer.import_projects, Project, dept),
                                   ("lists", importer.import_list_entries, ListEntry, dept),
                                   ("progress", importer.import_commitment_progress, CommitmentReport, adm)):
        data = templates.workbook(table)
        with db.transaction() as s:  # left in, the example is skipped: nothing imported, nothing refused
            result = run(s, s.merge(who), data)
            assert (result.imported, result.errors) == (0, []), table
            assert s.query(model).count() == 0
        with db.transaction() as s:  # its mark taken off, the same row imports without an error
            result = run(s, s.merge(who), _unmarked(data))
            assert (result.imported, [e.reason for e in result.errors]) == (1, []), table
            assert s.query(model).count() == 1


def test_the_projects_export_imports_back(db):
    """The registry's export is the template's layout (without the example): edited and imported again, it updates."""
    with db.transaction() as s:
        adm = accounts.create_user(s, "tcj", "a-long-password-1", "reviewer", department="市投资促进局")
        assert importer.import_projects(s, s.merge(adm), _unmarked(templates.workbook("projects"))).imported == 1
        row = templates.project_row(s.query(Project).one())
        row[1] = "改过名的项目"
        data = templates.workbook("projects", rows=[row], example=False)
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert ws.max_row == 2 and ws["B2"].value == "改过名的项目"
    with db.transaction() as s:
        result = importer.import_projects(s, s.merge(adm), data)
        assert (result.imported, result.errors) == (1, [])
        assert [p.name for p in s.query(Project).all()] == ["改过名的项目"]
