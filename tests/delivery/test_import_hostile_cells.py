"""Whatever an official types into a cell, an import answers rows imported or rows refused by name — never an
exception (issue 13: no input can produce a 500), on SQLite and PostgreSQL. Hypothesis writes CSV files with
every column of the project, list and progress imports filled with hostile text (NUL, 5,000 characters,
exponents, forty digits, impossible dates, formulas, markup) next to good values, and imports them into the
real database."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from huiqi import policies
from huiqi.delivery import commitments, importer
from huiqi.workflow import accounts

HOSTILE = ["", "\x00", "a\x00b", "1e999", "1e3", "9" * 40, "-1", "0.001", "NaN", "2024-13-45", "2024-02-30", "a" * 5000,
           '=HYPERLINK("http://x","y")', "<b>x</b>", "是", "否", "省外", "开工", "推进中", "m07.c01", "m99.c99",
           "91530100MA6K3YXF8W", "530111", "2024-03-01", "1,000.00", "１００万元", "3亿元", "🙂", "\u202e"]
GOOD = {"projects": {"项目名称": "好项目", "投资方": "甲公司", "投资方来源": "省外", "总投资（元）": "100000000", "项目阶段": "前期"},
        "lists": {"清单类别": "重点产业链供应链项目", "项目名称": "好项目"},
        "progress": {"任务编号": "m04.c01", "状态": "推进中", "进展情况": "已开展"}}
IMPORTS = {"projects": (importer.PROJECT_COLUMNS, importer.import_projects),
           "lists": (importer.LIST_COLUMNS, importer.import_list_entries),
           "progress": (importer.COMMITMENT_COLUMNS, importer.import_commitment_progress)}


@pytest.fixture
def official(db):
    with db.transaction() as s:
        accounts.create_user(s, "tcj", "password-123", "reviewer", department="市投资促进局")
        commitments.seed(s, policies.load())  # m04's tasks, which 市投资促进局 leads with others
    return db


def _csv(headers: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([headers, *rows])
    return out.getvalue().encode("utf-8")


@pytest.mark.parametrize("kind", list(IMPORTS))
def test_hostile_cells_are_refused_by_row_and_column_never_raised(official, kind):
    from sqlalchemy import select

    from huiqi.storage.models import User

    columns, run = IMPORTS[kind]
    headers = list(columns)
    cell = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12))

    @settings(max_examples=25, database=None, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(rows=st.lists(st.lists(cell, min_size=len(headers), max_size=len(headers)), min_size=1, max_size=3))
    def check(rows):
        with official.transaction() as s:
            user = s.execute(select(User).where(User.username == "tcj")).scalar_one()
            result = run(s, user, _csv(headers, rows))
        assert result.imported + len({e.row for e in result.errors if e.row}) <= len(rows)
        assert all(e.field and str(e) for e in result.errors)

    check()
    # each hostile value alone in each column of a good row: the good rows are imported, the bad ones named
    good = {**GOOD[kind]}
    rows = []
    for header in headers:
        for bad in HOSTILE:
            row = {**good, "项目编号": f"H{len(rows)}"} if kind == "projects" else dict(good)
            rows.append([bad if h == header else row.get(h, "") for h in headers])
    with official.transaction() as s:
        user = s.execute(select(User).where(User.username == "tcj")).scalar_one()
        result = run(s, user, _csv(headers, rows))
    assert result.imported >= len(headers) and result.errors  # the harmless values went in, the hostile ones were named
    assert all(e.field and e.row for e in result.errors)


def test_a_nul_cell_and_an_over_long_sector_are_named_not_a_500(official):
    """Both were server errors on PostgreSQL only (psycopg refuses U+0000; list_entries.sector is 100 wide)."""
    from sqlalchemy import func, select

    from huiqi.storage.models import User
    from huiqi.storage.models_delivery import ListEntry

    headers = ["清单类别", "项目名称", "行业领域"]
    data = _csv(headers, [["重点产业链供应链项目", "名称\x00", ""], ["重点产业链供应链项目", "好项目", "制" * 101],
                          ["重点产业链供应链项目", "好项目", "制" * 100]])
    with official.transaction() as s:
        user = s.execute(select(User).where(User.username == "tcj")).scalar_one()
        result = importer.import_list_entries(s, user, data)
    assert result.imported == 1
    assert [(e.row, e.field) for e in result.errors] == [(2, "name"), (3, "sector")]
    assert "空字符" in str(result.errors[0]) and "项目名称" in str(result.errors[0])
    assert "不超过100字" in str(result.errors[1]) and "行业领域" in str(result.errors[1])
    with official.transaction() as s:
        assert s.execute(select(func.count()).select_from(ListEntry)).scalar_one() == 1
