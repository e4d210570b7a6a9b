"""Every page export goes through the one writer (issue 14): /projects.xlsx, /commitments.xlsx, /lists.xlsx,
/notices.xlsx, /dashboard.xlsx and the three import templates open with a Chinese sheet name, a bold frozen header,
an autofilter, widths set, ¥ numbers, real dates, 是/否 — and typed text never as a formula. On SQLite and PostgreSQL,
through the real application (``create_app``) signed in as a department."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from huiqi import policies
from huiqi.delivery import commitments, lists, projects
from huiqi.workflow import accounts
from tests.test_exports import assert_handed_in
from tests.workflow.conftest import db  # noqa: F401

PW = "a-long-password-1"
HOSTILE = '=HYPERLINK("http://evil.example/","点我")'


def _client(db, name: str) -> TestClient:
    from huiqi.api.app import create_app

    client = TestClient(create_app(db), base_url="https://testserver")
    r = client.post("/login", data={"username": name, "password": PW, "next": "/"}, follow_redirects=True)
    assert r.status_code == 200
    return client


def _book(client: TestClient, path: str):
    r = client.get(path)
    assert r.status_code == 200, (path, r.text[:300])
    return load_workbook(io.BytesIO(r.content))


def test_the_page_exports_are_ready_to_hand_in(db):
    policy = policies.load()
    with db.transaction() as s:
        tcj = accounts.create_user(s, "tcj", PW, "reviewer", department="市投资促进局")
        adm = accounts.create_user(s, "adm", PW, "admin")
        projects.create(s, tcj, {"code": "XM-1", "name": HOSTILE, "investor": "某某科技有限公司", "investor_origin": "省外",
                                 "district": "530102", "total_investment": "123456789.01", "stage": "开工",
                                 "introduced_on": "2024-05-10", "packaged": "是"}, policy)
        kind = next(iter(lists.kinds(policy)))
        lists.add(s, tcj, {"kind": kind, "name": "某污水处理厂项目", "district": "530102", "investment": "5000000.50",
                           "published_on": "2024-06-01"}, policy)
        commitments.seed(s, policy)
        code = commitments.extract(policy)[0].id
    with db.transaction() as s:
        commitments.report(s, s.merge(adm), code, "in_progress", HOSTILE, policy=policy)
    client = _client(db, "adm")

    ws = _book(client, "/projects.xlsx").worksheets[0]
    assert ws.title == "项目库"
    assert_handed_in(ws)
    head = [c.value for c in ws[1]]
    row = {h: c for h, c in zip(head, ws[2])}
    assert row["项目名称"].value == HOSTILE and row["项目名称"].data_type == "s"
    assert row["县区名称"].value == "五华区" and head.index("县区名称") == head.index("县区代码") + 1
    money = row["总投资（元）"]
    assert money.data_type == "n" and money.number_format == "¥#,##0.00"
    assert Decimal(str(money.value)) == Decimal("123456789.01")
    assert row["引进日期"].is_date and row["引进日期"].value.date() == dt.date(2024, 5, 10)
    assert row["策划包装"].value == "是" and row["登记单位"].value == "市投资促进局"

    ws = _book(client, "/commitments.xlsx").worksheets[0]
    assert ws.title == "督办台账"
    assert_handed_in(ws)
    head = [c.value for c in ws[1]]
    rows = [{h: c for h, c in zip(head, r)} for r in ws.iter_rows(min_row=2)]
    assert all(r["完成时限"].is_date for r in rows)  # deadlines as dates, not text
    reported = next(r for r in rows if r["任务编号"].value == code)
    assert reported["最近进展"].value == HOSTILE and reported["更新时间（北京时间）"].is_date
    assert reported["措施名称"].value == policy.measure(reported["措施编号"].value).title_zh

    ws = _book(client, "/lists.xlsx").worksheets[0]
    assert ws.title == "推介清单"
    assert_handed_in(ws)
    row = {c.value: v for c, v in zip(ws[1], ws[2])}
    assert row["县区"].value == "五华区" and row["发布日期"].is_date
    assert row["总投资（元）"].number_format == "¥#,##0.00" and Decimal(str(row["总投资（元）"].value)) == Decimal("5000000.50")

    wb = _book(client, "/notices.xlsx")
    assert wb.sheetnames == ["公示名单", "说明"]
    assert_handed_in(wb["公示名单"])
    assert wb["说明"]["B2"].is_date  # the time it was made, a real date-time

    wb = _book(client, "/dashboard.xlsx")  # its tables are the dashboard's; how they are written is the writer's
    for ws in wb.worksheets:
        assert_handed_in(ws)
    assert any(c.number_format == "¥#,##0.00" and c.data_type == "n" for ws in wb.worksheets for r in ws.iter_rows()
               for c in r)

    for path, title in (("/projects/template.xlsx", "项目库"), ("/lists/template.xlsx", "推介清单"),
                        ("/commitments/template.xlsx", "督办进展")):
        wb = _book(client, path)
        assert wb.sheetnames == [title, "说明", "代码表"], path
        assert wb.worksheets[0].data_validations.dataValidation, path
