"""The public notice (公示) in a real browser: titled batches with their period and where to object, without
signing in; objections; the audit head on its own page for auditors; the Excel download; payment waits for the end
of the notice. Demo: #1 c1 (¥360,000.00) is in public notice from 2024-10-08 to 2024-10-14; this module's server
runs on 2024-10-10, inside it (test_review pays it after the notice, on the suite's 2024-12-31)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import openpyxl

from tests.web.conftest import PHONE, assert_fits, assert_labelled, login, shot

SERVER_TODAY = "2024-10-10"


def _rows(page, kind: str) -> list[list[str]]:
    return page.locator(f"[data-test={kind}] tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText.trim()))")


def _audit_seq(page, server) -> int:
    return int(page.request.get(server + "/api/v1/audit/head").json()["seq"])


def test_the_notice_list_is_public(server, page):
    page.goto(server + "/notices")
    assert page.locator("h1").inner_text() == "公示"
    assert page.locator("[data-test=who]").count() == 0  # nobody signed in
    batch = page.locator("[data-test=current] article.batch")
    assert batch.count() == 1
    assert batch.locator("[data-test=batch-title]").inner_text().startswith("2024年第1批算力券拟兑现名单公示")
    assert batch.locator("[data-test=batch-state]").inner_text() == "公示中"
    assert batch.locator("[data-test=batch-period]").inner_text() == "公示期：2024-10-08至2024-10-14"
    assert "异议受理单位：市工业和信息化局" in batch.locator("[data-test=batch-receiver]").inner_text()
    row = page.locator("[data-test=current] [data-app='1']")
    text = row.inner_text()
    for expected in ("昆明示例智能科技有限公司", "91530100MA6K3YXF8W", "7. 大力支持数实融合", "算力券", "¥360,000.00",
                     "2024-10-14", "市工业和信息化局"):
        assert expected in text, expected
    assert row.locator("[data-test=amount]").get_attribute("data-fen") == "36000000"
    # the audit head and the JSON are for auditors: linked from the foot, not in the public body
    assert page.locator("[data-test=audit-seq]").count() == 0 and "/api/v1/notices" not in page.content()
    api = page.request.get(server + "/api/v1/notices").json()
    assert [n["application_id"] for n in api["notices"]] == [1]
    assert api["batches"][0]["title_zh"] == "2024年第1批算力券拟兑现名单公示" and api["batches"][0]["state"] == "running"
    assert page.get_by_role("link", name="下载 Excel 名单").is_visible()
    assert_labelled(page)
    shot(page, "notices")
    page.get_by_role("link", name="审计核查信息（审计链头、JSON 数据）").click()
    assert page.locator("[data-test=audit-seq]").inner_text() == str(api["audit_head"]["seq"])
    assert page.locator("[data-test=audit-hash]").inner_text() == api["audit_head"]["hash"]
    checkpoint = page.request.get(server + "/api/v1/audit/head").json()["checkpoint"]  # signed, kept outside the database
    assert checkpoint and page.locator("[data-test=checkpoint-sig]").inner_text() == checkpoint["sig"]
    assert_labelled(page)
    shot(page, "notices-audit")


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
    seq = _audit_seq(page, server)
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
    assert _audit_seq(page, server) == seq  # nothing recorded
    shot(page, "notices-objection-refused")

    page.get_by_label("异议内容及理由").fill("该企业c1项支出发票与合同金额不一致，请核实。")
    with page.expect_navigation():
        page.locator("[data-objection='1']").get_by_role("button", name="提交异议").click()
    assert "异议已登记" in page.locator("[data-test=message]").inner_text()
    assert _audit_seq(page, server) == seq + 1
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
    assert header == ["编号", "申请人", "统一社会信用代码", "政策措施", "兑现事项", "核定金额（元）", "公示批次",
                      "公示开始日期", "公示截止日期", "状态", "拨付日期", "审核部门"]
    body = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert len(body) == len(shown) == 1
    row, cells = body[0], ws[2]
    assert row[0] == int(shown[0][0]) and row[1] == shown[0][1] and row[2] == shown[0][2]
    assert row[3] == shown[0][3] and row[4] == shown[0][4] and row[11] == shown[0][7]
    assert Decimal(str(row[5])) == Decimal("360000.00") and "¥" in cells[5].number_format
    assert row[6] == "2024年第1批算力券拟兑现名单公示"
    assert row[7].date() == dt.date(2024, 10, 8) and row[8].date() == dt.date(2024, 10, 14)
    assert row[9] == "公示中" and row[10] is None
    headers = page.request.get(server + "/notices.xlsx").headers
    assert headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E5%85%AC%E7%A4%BA" in headers["content-disposition"]
    assert headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def test_payment_waits_for_the_end_of_the_notice(server, page, new_page):
    finance = new_page()
    login(finance, server, "fin-demo")
    finance.goto(server + "/review")
    row = finance.locator("[data-test=in-notice] [data-app='1']")
    assert row.get_by_role("link", name="办理拨付").count() == 0 and "公示至 2024-10-14" in row.inner_text()
    finance.goto(server + "/review/1")
    finance.get_by_label("拨付凭证号").fill("CZ-2024-0001")
    finance.get_by_role("checkbox").check()
    with finance.expect_navigation():
        finance.get_by_role("button", name="拨付 ¥360,000.00").click()
    assert "未满" in finance.locator("[role=alert]").inner_text()
    page.goto(server + "/notices")
    assert page.locator("[data-test=current] [data-app='1']").count() == 1  # still in notice, nothing paid
    assert page.locator("[data-test=disbursed]").count() == 0
