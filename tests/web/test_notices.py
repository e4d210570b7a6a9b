"""The public notice (公示) in a real browser: the list without signing in, objections, the audit head,
the Excel download, and a payment moving an entry to the second table.
Demo: #1 c1 (¥360,000.00) is in public notice until 2024-10-14 (already ended, so finance may pay)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import openpyxl

from tests.web.conftest import PHONE, assert_fits, assert_labelled, login, shot


def _rows(page, kind: str) -> list[list[str]]:
    return page.locator(f"[data-test={kind}] tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText.trim()))")


def test_the_notice_list_is_public(server, page):
    page.goto(server + "/notices")
    assert page.locator("h1").inner_text() == "公示"
    assert page.locator("[data-test=who]").count() == 0  # nobody signed in
    row = page.locator("[data-test=current] [data-app='1']")
    text = row.inner_text()
    for expected in ("昆明示例智能科技有限公司", "91530100MA6K3YXF8W", "7. 大力支持数实融合", "算力券", "¥360,000.00",
                     "2024-10-14", "市工业和信息化局"):
        assert expected in text, expected
    assert row.locator("[data-test=amount]").get_attribute("data-fen") == "36000000"
    api = page.request.get(server + "/api/v1/notices").json()
    assert page.locator("[data-test=audit-seq]").inner_text() == str(api["audit_head"]["seq"])
    assert page.locator("[data-test=audit-hash]").inner_text() == api["audit_head"]["hash"]
    assert [n["application_id"] for n in api["notices"]] == [1]
    assert page.get_by_role("link", name="下载 Excel 名单").is_visible()
    assert_labelled(page)
    shot(page, "notices")


def test_english_and_phone(server, page, new_page):
    page.goto(server + "/notices?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Public notice"
    assert page.get_by_role("link", name="Download as Excel").is_visible()
    shot(page, "notices-en")
    page.goto(server + "/notices?lang=zh")
    phone = new_page(PHONE)
    phone.goto(server + "/notices")
    assert_fits(phone)
    assert_labelled(phone)
    shot(phone, "phone-notices")


def test_an_objection_is_recorded(server, page, new_page):
    page.goto(server + "/notices")
    seq = int(page.locator("[data-test=audit-seq]").inner_text())
    page.locator("[data-test=current] [data-app='1']").get_by_role("link", name="提出异议").click()
    form = page.locator("[data-objection='1']")
    assert form.get_attribute("open") is not None  # following the link opens the form
    contact, content = page.get_by_label("联系方式（电话或邮箱）"), page.get_by_label("异议内容及理由")
    # both are required: the browser asks first, the server refuses too
    contact.fill("13800000000")
    form.get_by_role("button", name="提交异议").click()
    assert content.evaluate("el => el.validity.valueMissing")
    content.evaluate("el => el.removeAttribute('required')")
    with page.expect_navigation() as nav:
        form.get_by_role("button", name="提交异议").click()
    assert nav.value.status == 200
    assert "异议内容及理由：请填写" in page.locator("[role=alert]").inner_text()
    assert page.get_by_label("联系方式（电话或邮箱）").input_value() == "13800000000"  # kept
    assert int(page.locator("[data-test=audit-seq]").inner_text()) == seq  # nothing recorded
    shot(page, "notices-objection-refused")

    page.get_by_label("异议内容及理由").fill("该企业c1项支出发票与合同金额不一致，请核实。")
    with page.expect_navigation():
        page.locator("[data-objection='1']").get_by_role("button", name="提交异议").click()
    assert "异议已登记" in page.locator("[data-test=message]").inner_text()
    assert int(page.locator("[data-test=audit-seq]").inner_text()) == seq + 1
    shot(page, "notices-objection-recorded")

    reviewer = new_page()
    login(reviewer, server, "rev-gongxin")
    reviewer.goto(server + "/review/1")
    objections = reviewer.locator("[data-test=objections]").inner_text()
    assert "13800000000" in objections and "发票与合同金额不一致" in objections

    closed = page.request.post(server + "/notices/3/objection", form={"contact": "x", "content": "y"})  # a draft
    assert closed.status == 200 and "不在公示期" in closed.text()


def test_the_excel_download_has_the_same_rows_and_exact_amounts(server, page):
    page.goto(server + "/notices")
    shown = _rows(page, "current")
    with page.expect_download() as dl:
        page.get_by_role("link", name="下载 Excel 名单").click()
    assert dl.value.suggested_filename.endswith(".xlsx") and "公示名单" in dl.value.suggested_filename
    with open(dl.value.path(), "rb") as f:
        wb = openpyxl.load_workbook(f)
    ws = wb["公示名单"]
    header = [c.value for c in ws[1]]
    assert header == ["编号", "申请人", "统一社会信用代码", "政策措施", "兑现事项", "核定金额（元）", "公示截止日期", "状态", "审核部门"]
    body = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert len(body) == len(shown) == 1
    row, cells = body[0], ws[2]
    assert row[0] == int(shown[0][0]) and row[1] == shown[0][1] and row[2] == shown[0][2]
    assert row[3] == shown[0][3] and row[4] == shown[0][4] and row[8] == shown[0][7]
    assert Decimal(str(row[5])) == Decimal("360000.00") and "¥" in cells[5].number_format
    assert isinstance(row[6], dt.datetime) and row[6].date() == dt.date(2024, 10, 14)
    assert row[7] == "公示中"
    headers = page.request.get(server + "/notices.xlsx").headers
    assert headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E5%85%AC%E7%A4%BA" in headers["content-disposition"]
    assert headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def test_paid_awards_move_to_the_second_table(server, page, new_page):
    finance = new_page()
    login(finance, server, "fin-demo")
    finance.goto(server + "/review")
    with finance.expect_navigation():
        finance.locator("[data-test=in-notice] [data-app='1']").get_by_role("button", name="拨付").click()
    assert "已拨付" in finance.locator("[data-test=message]").inner_text()

    page.goto(server + "/notices")
    assert page.locator("[data-test=none-current]").is_visible()
    assert page.locator("[data-objection]").count() == 0  # objections close with the notice
    paid = page.locator("[data-test=disbursed] [data-app='1']").inner_text()
    assert "¥360,000.00" in paid and "市工业和信息化局" in paid
    wb = openpyxl.load_workbook(__import__("io").BytesIO(page.request.get(server + "/notices.xlsx").body()))
    rows = [[c.value for c in r] for r in wb["公示名单"].iter_rows(min_row=2)]
    assert len(rows) == 1 and rows[0][7] == "已拨付" and Decimal(str(rows[0][5])) == Decimal("360000.00")
    shot(page, "notices-paid")
