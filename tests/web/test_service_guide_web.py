"""办事指南, 申报材料 and the year's ceiling in a real browser (issue 12, item 5).

The public measure page and the calculator's cards show each provision's materials, time limit and contact (a
configured list marked so, the rest 「以主管部门通知为准」 with the lead department); the enterprise's application
page asks which material a file is and refuses submission naming what is missing; the calculator of a signed-in
enterprise numbers a new claim apart from its earlier applications, names it in words, and counts the year's
approvals from the ledger — 「本年度剩余额度」, then 「本年度额度已用完」.
"""

from __future__ import annotations

import json
import re

from tests.web.conftest import PASSWORD, assert_accessible, login, shot

DEMO_CODE = "91530100MA6K3YXF8W"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
AWARD = "m07.internet_software_first_scale_award"


def test_the_measure_page_shows_each_provisions_guide(server, page):
    page.goto(server + "/measures/m07")
    award = page.locator(f'article[data-provision="{AWARD}"] [data-test=service-guide]')
    assert award.locator("[data-test=guide-configured]").inner_text() == "平台配置，待主管部门公布"
    materials = award.locator("[data-test=guide-materials]").inner_text()
    assert "统计部门出具的首次升规纳入核算证明" in materials and "行业类别证明" in materials
    assert "可选" in materials and "PDF 文件" in materials and "application/pdf" not in materials
    assert award.locator("[data-test=guide-time-limit]").inner_text() == "以主管部门通知为准（牵头单位：市工业和信息化局）"
    assert award.locator("[data-test=guide-contact]").inner_text() == "以主管部门通知为准（牵头单位：市工业和信息化局）"
    voucher = page.locator('article[data-provision="m07.compute_voucher"] [data-test=service-guide]')
    assert voucher.locator("[data-test=guide-configured]").count() == 0  # nothing configured: nothing marked
    assert "以主管部门通知为准" in voucher.locator("[data-test=guide-materials]").inner_text()
    # the provision folds only its citation: the guide is shown as it is
    assert page.locator('article[data-provision="m07.compute_voucher"] summary').count() == 1
    assert_accessible(page)
    shot(page, "guide-measure-page")
    page.goto(server + "/measures/m07?lang=en")
    award = page.locator(f'article[data-provision="{AWARD}"] [data-test=service-guide]')
    assert "Set by the platform" in award.inner_text() and "Municipal Bureau of Industry" in award.inner_text()
    page.goto(server + "/measures/m07?lang=zh")


def _compute(page, server, date, spend):
    page.goto(server + "/calculator")
    page.get_by_label("名称（企业名称或姓名）").fill("昆明示例智能科技有限公司")
    page.get_by_label("统一社会信用代码").fill(DEMO_CODE)
    page.get_by_label("所在县（市、区）").select_option("530111")
    page.get_by_label("国民经济行业代码").fill("6513")
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("算力支出（算力券）").check()
    page.locator("#f-compute_claims-0-date").fill(date)
    page.locator("#f-compute_claims-0-category").select_option("compute_rental")
    page.locator("#f-compute_claims-0-spend").fill(spend)  # no item id: the calculator numbers it
    page.locator("[data-test=calculate]").click()
    page.locator("[data-test=confirm]").click()
    page.wait_for_url(re.compile(r"/calculator/result\?"))


def _api(page, server, username):
    r = page.request.post(server + "/api/v1/auth/login", data={"username": username, "password": PASSWORD})
    assert r.ok, r.text()
    return {"X-CSRF-Token": r.json()["csrf_token"]}


def test_a_new_claim_beside_earlier_applications_and_the_years_ceiling(server, page, new_page):
    login(page, server, "ent-demo")
    _compute(page, server, "2024-11-10", "600000.00")  # 30% = ¥180,000; the demo's #1 has ¥360,000 approved
    card = page.locator('[data-test=eligible] [data-provision="m07.compute_voucher"]')
    assert card.count() == 1
    # numbered apart from the demo's earlier c1 (another spending): not 「已申请（#1）」, an apply button instead
    assert card.get_attribute("data-event") not in ("c1", "c2", "c3")
    assert card.locator("[data-test=applied]").count() == 0 and card.locator("[data-test=apply]").count() == 1
    assert page.locator("[data-test=renumbered]").is_visible()
    label = card.locator("[data-test=event-label]").inner_text()
    assert label.endswith("第1笔（2024-11-10，¥600,000.00）") and not re.search(r"\bc\d+\b", label)
    # the year's ceiling from the ledger, through the engine's own step
    assert card.locator("[data-test=amount]").inner_text().endswith("¥140,000.00")
    assert "此前已计¥360,000.00，本笔至多¥140,000.00" in card.locator("[data-test=explanation]").inner_text()
    words = card.locator("[data-test=year-cap-words]").inner_text()
    assert words == "本年度剩余额度 ¥140,000.00（上限 ¥500,000.00，已核定 ¥360,000.00）"
    earlier = card.locator("[data-test=earlier-applications]").inner_text()
    assert "#1" in earlier and "公示中" in earlier and "核定 ¥360,000.00" in earlier and "#2" in earlier
    assert card.locator("[data-test=service-guide]").count() == 1
    assert_accessible(page)
    shot(page, "guide-calculator-year-left")

    # apply for it, and the department approves what is left: the year's ceiling is then used up
    card.locator("[data-test=declaration]").check()
    card.locator("[data-test=apply]").click()
    page.wait_for_url(re.compile(r"/portal/applications/\d+\?done=created"))
    app_id = int(page.url.split("?")[0].rsplit("/", 1)[1])
    # the application names its claim in the same words
    assert page.locator("[data-test=event-label]").first.inner_text().endswith("第1笔（2024-11-10，¥600,000.00）")
    page.locator("[data-test=submit]").click()
    page.wait_for_url(re.compile(r"\?done=submitted"))
    reviewer = new_page()
    h = _api(reviewer, server, "rev-gongxin")
    assert reviewer.request.post(f"{server}/api/v1/applications/{app_id}/review", headers=h).ok
    r = reviewer.request.post(f"{server}/api/v1/applications/{app_id}/approve", headers=h,
                              data={"amount_fen": 14_000_000, "opinion": "本年度剩余额度为14万元"})
    assert r.ok, r.text()

    _compute(page, server, "2024-12-01", "133334.00")  # 30% ≈ ¥40,000.20
    assert page.locator('[data-test=eligible] [data-provision="m07.compute_voucher"]').count() == 0
    capped = page.locator('[data-test=capped] [data-provision="m07.compute_voucher"]')
    assert capped.get_attribute("data-status") == "not_eligible"
    assert "不符合" in capped.inner_text()
    assert capped.locator("[data-test=year-cap-words]").inner_text() == "本年度额度已用完"
    assert f"#{app_id}" in capped.locator("[data-test=earlier-applications]").inner_text()
    assert "此前已计¥500,000.00" in capped.locator("[data-test=reason]").inner_text()
    assert_accessible(page)
    shot(page, "guide-calculator-year-used-up")


def test_the_application_page_waits_for_each_listed_material(server, page, tmp_path):
    login(page, server, "ent-demo")
    page.goto(server + "/portal")
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    profile = {"kind": "enterprise", "name": "昆明示例智能科技有限公司", "credit_code": DEMO_CODE, "district": "530111",
               "industry": "6513", "scale_entries": [{"id": "s1", "date": "2024-04-10", "path": "small_to_scale"}]}
    r = page.request.post(server + "/calculator/apply", max_redirects=0, form={
        "csrf_token": csrf, "profile": json.dumps(profile, ensure_ascii=False), "as_of": "2024-12-31",
        "provision_id": AWARD, "event_id": "s1", "declaration": "yes"})
    assert r.status == 303, r.text()
    page.goto(server + r.headers["location"])
    guide = page.locator("[data-test=service-guide]")
    assert guide.locator("[data-test=material-missing]").count() == 3  # two required, one optional, none uploaded
    assert "平台配置，待主管部门公布" in guide.inner_text()
    assert "以主管部门通知为准（牵头单位：市工业和信息化局）" in guide.locator("[data-test=guide-contact]").inner_text()
    missing = page.locator("[data-test=materials-missing]").inner_text()
    assert "统计部门出具的首次升规纳入核算证明" in missing and "行业类别证明" in missing and "其他补充材料" not in missing
    assert_accessible(page)
    shot(page, "guide-application-nothing-uploaded")

    page.locator("[data-test=submit]").click()
    page.wait_for_load_state("networkidle")
    alert = page.locator("[role=alert]").inner_text()
    assert "尚未上传申报材料" in alert and "「行业类别证明（统计登记的国民经济行业分类属64、65大类）」" in alert
    assert page.locator("[data-test=status]").inner_text() == "草稿"

    pdf = tmp_path / "行业.pdf"
    pdf.write_bytes(PDF)
    page.get_by_label("材料类别").select_option("sector_proof")
    page.get_by_label("选择文件（PDF、PNG、JPEG，不超过 10 MB）").set_input_files(str(pdf))
    page.locator("[data-test=upload]").click()
    page.wait_for_url(re.compile(r"\?done=uploaded"))
    files = page.locator("[data-test=evidence]").inner_text()
    assert "行业类别证明" in files and "PDF 文件" in files and "application/pdf" not in files
    assert page.locator('[data-test=service-guide] li[data-material="sector_proof"] [data-test=material-uploaded]').count() == 1
    # the form offers first what is still missing
    assert page.get_by_label("材料类别").input_value() == "scale_entry_proof"
    page.locator("[data-test=submit]").click()
    page.wait_for_load_state("networkidle")
    alert = page.locator("[role=alert]").inner_text()
    assert "统计部门出具的首次升规纳入核算证明" in alert and "行业类别证明" not in alert

    page.get_by_label("选择文件（PDF、PNG、JPEG，不超过 10 MB）").set_input_files(str(pdf))
    page.locator("[data-test=upload]").click()
    page.wait_for_url(re.compile(r"\?done=uploaded"))
    assert page.locator("[data-test=materials-missing]").count() == 0
    page.locator("[data-test=submit]").click()
    page.wait_for_url(re.compile(r"\?done=submitted"))
    assert page.locator("[data-test=status]").inner_text() == "已提交"
    assert_accessible(page)
    shot(page, "guide-application-submitted")
