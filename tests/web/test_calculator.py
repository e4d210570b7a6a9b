"""The benefit calculator in a real browser: a three-step wizard that asks only what matters, exact
answers with the sentence that grants them, errors that name the field and keep what was typed, the
English switch on the answer, and the same pages at phone width."""

from __future__ import annotations

import re

from tests.web.conftest import assert_fits, assert_labelled, shot

DEMO_CODE = "91530100MA6K3YXF8W"


def step1(page, server, name="昆明测试科技有限公司", code=DEMO_CODE, path="/calculator"):
    page.goto(server + path)
    page.get_by_label("名称（企业名称或姓名）").fill(name)
    page.get_by_label("统一社会信用代码").fill(code)
    page.get_by_label("所在县（市、区）").select_option("530111")
    page.get_by_label("国民经济行业代码").fill("6513")
    page.get_by_role("button", name="下一步").click()
    page.wait_for_load_state("networkidle")


def compute_claim(page, date="2024-05-10", spend="1000000.00", event_id=""):
    box = page.get_by_label("算力支出（算力券）")
    if not box.is_checked():
        box.check()
    page.locator("#f-compute_claims-0-date").fill(date)
    page.locator("#f-compute_claims-0-category").select_option("compute_rental")
    page.locator("#f-compute_claims-0-spend").fill(spend)
    if event_id:
        page.locator("#f-compute_claims-0-id").fill(event_id)


def test_wizard_asks_only_about_the_chosen_events(server, page):
    step1(page, server)
    assert page.locator("ol.steps [aria-current=step]").inner_text().strip().endswith("本年度经营和申报事项")
    # nothing chosen yet: no event questions are shown
    assert not page.locator("#fam-compute_claims").is_visible()
    assert not page.locator("#fam-vehicles").is_visible()
    page.get_by_label("算力支出（算力券）").check()
    assert page.locator("#fam-compute_claims").is_visible()
    assert page.locator("#f-compute_claims-0-spend").is_visible()
    assert not page.locator("#fam-vehicles").is_visible() and not page.locator("#fam-home_purchases").is_visible()
    page.get_by_label("购车", exact=True).check()
    assert page.locator("#fam-vehicles").is_visible()
    page.get_by_label("购车", exact=True).uncheck()
    assert not page.locator("#fam-vehicles").is_visible()
    assert "2024-12-31" in page.locator("[data-test=as-of-note]").inner_text()
    assert page.locator("#f-as_of").input_value() == "2024-12-31"  # today (2026) is after the policy's end
    assert_labelled(page)
    shot(page, "calculator-step2")
    # a second claim: the first one's answers stay
    compute_claim(page)
    page.locator("[data-test=add-compute_claims]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#f-compute_claims-1-spend").is_visible()
    assert page.locator("#f-compute_claims-0-spend").input_value() == "1000000.00"
    assert page.locator("#f-compute_claims-0-date").input_value() == "2024-05-10"
    assert not page.locator("#fam-vehicles").is_visible()


def test_compute_claim_of_a_million_gives_300_000_with_its_sentence(server, page):
    page.goto(server + "/calculator")
    assert_labelled(page)
    shot(page, "calculator-step1")
    step1(page, server)
    compute_claim(page)
    page.locator("[data-test=calculate]").click()
    page.locator("[data-test=confirm]").click()  # 核对信息, then the results
    page.wait_for_url(re.compile(r"/calculator/result\?"))
    card = page.locator('[data-test=eligible] [data-provision="m07.compute_voucher"]')
    text = card.inner_text()
    assert "¥300,000.00" in card.locator("[data-test=amount]").inner_text()
    assert "按实际支出费用给予30%补助，每年最高50万元" in card.locator("[data-test=citation]").inner_text()
    assert "30%" in text and "¥500,000.00" in text  # the figures used
    assert card.locator("[data-test=apply]").is_visible()
    # a ceiling whose award is left to the department's assessment is a referral with its ceiling, not money
    assert page.locator('[data-test=eligible] [data-provision="m07.internet_software_development_award"]').count() == 0
    award = page.locator('[data-provision="m07.internet_software_development_award"]')
    assert award.get_attribute("data-status") == "referral"
    assert "上限¥500,000.00" in award.locator("[data-test=reason]").text_content()  # in the folded list
    assert page.locator("[data-test=total]").inner_text() == "¥300,000.00"
    assert "施行中" in page.locator("[data-test=policy-status]").inner_text()
    assert page.locator("[data-test=as-of]").inner_text() == "2024-12-31"
    # not eligible: collapsed, with the reason
    rest = page.locator("[data-test=not-eligible]")
    assert rest.get_attribute("open") is None
    rest.locator("> summary").click()
    assert rest.locator('[data-provision="m13.provident_fund_loan_uplift"] [data-test=reason]').inner_text()
    assert_labelled(page)
    shot(page, "calculator-results")
    # the English switch keeps the calculation
    page.locator("[data-test=lang-switch]").click()
    assert page.locator("html").get_attribute("lang") == "en"
    card = page.locator('[data-test=eligible] [data-provision="m07.compute_voucher"]')
    assert "Conditions met: ¥300,000.00" in card.locator("[data-test=explanation]").inner_text()
    assert "Compute voucher" in card.inner_text() and "Apply" in card.inner_text()
    shot(page, "calculator-results-en")
    # change the answers: back to step 2 with everything filled in
    page.locator("[data-test=edit]").click()
    assert page.locator("#f-compute_claims-0-spend").input_value() == "1000000.00"
    page.locator("[data-test=lang-switch]").click()
    assert page.locator("html").get_attribute("lang") == "zh-CN"


def test_a_bad_credit_code_names_the_field_and_keeps_the_answers(server, page):
    step1(page, server, name="错码测试公司", code="91530100MA6K3YXF8X")
    alert = page.locator("[role=alert]")
    assert alert.is_visible()
    assert "统一社会信用代码" in alert.inner_text() and "校验码" in alert.inner_text()
    assert page.get_by_label("名称（企业名称或姓名）").input_value() == "错码测试公司"
    assert page.get_by_label("统一社会信用代码").input_value() == "91530100MA6K3YXF8X"
    assert page.get_by_label("统一社会信用代码").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("国民经济行业代码").input_value() == "6513"
    assert page.get_by_label("所在县（市、区）").input_value() == "530111"
    shot(page, "calculator-error-credit-code")
    # a sub-fen amount in step 2: the form comes back with the message and the values
    page.get_by_label("统一社会信用代码").fill(DEMO_CODE)
    page.get_by_role("button", name="下一步").click()
    compute_claim(page, spend="1000.001")
    page.locator("[data-test=calculate]").click()
    page.wait_for_load_state("networkidle")
    alert = page.locator("[role=alert]")
    assert "实际支出" in alert.inner_text() and "分" in alert.inner_text()
    assert page.locator("#f-compute_claims-0-spend").input_value() == "1000.001"
    assert page.locator("#f-compute_claims-0-date").input_value() == "2024-05-10"
    assert page.locator("#fam-compute_claims").is_visible()
    # a negative amount too
    page.locator("#f-compute_claims-0-spend").fill("-5")
    page.locator("[data-test=calculate]").click()
    assert "负数" in page.locator("[role=alert]").inner_text()
    # the server answers such a form with 200, not a 4xx document
    r = page.request.post(server + "/calculator", form={"kind": "enterprise", "name": "x", "credit_code": "123", "action": "next"})
    assert r.status == 200 and 'role="alert"' in r.text()


def test_a_measure_link_preselects_its_events(server, page):
    page.goto(server + "/measures/m07")
    page.get_by_role("link", name="用政策计算器测算").click()
    page.wait_for_url(re.compile(r"/calculator\?measure=m07"))
    assert "m07" in page.locator("[data-test=note]").inner_text()
    page.get_by_label("名称（企业名称或姓名）").fill("预选测试公司")
    page.get_by_label("统一社会信用代码").fill(DEMO_CODE)
    page.get_by_role("button", name="下一步").click()
    assert page.get_by_label("算力支出（算力券）").is_checked()
    assert page.locator("#fam-compute_claims").is_visible()
    assert not page.locator("#fam-vehicles").is_visible()


def test_an_individual_buying_a_new_energy_car(server, page):
    page.goto(server + "/calculator")
    page.get_by_label("申请人类型").select_option("individual")
    page.get_by_label("名称（企业名称或姓名）").fill("张三")
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("购车", exact=True).check()
    page.locator("#f-vehicles-0-date").fill("2024-06-01")
    page.locator("#f-vehicles-0-price_incl_vat").fill("226000.00")
    page.locator("#f-vehicles-0-new_energy").select_option("yes")
    page.locator("[data-test=calculate]").click()
    page.locator("[data-test=confirm]").click()  # 核对信息, then the results
    page.wait_for_url(re.compile(r"/calculator/result\?"))
    card = page.locator('[data-test=eligible] [data-provision="m12.nev_purchase_tax_exemption"]')
    assert "¥20,000.00" in card.locator("[data-test=amount]").inner_text()
    assert card.locator("[data-test=apply]").count() == 0  # tax relief is applied by the tax office


def test_calculator_fits_a_phone(server, phone):
    phone.goto(server + "/calculator")
    assert_fits(phone)
    assert_labelled(phone)
    shot(phone, "phone-calculator-step1")
    step1(phone, server)
    compute_claim(phone)
    assert_fits(phone)
    shot(phone, "phone-calculator-step2")
    phone.locator("[data-test=calculate]").click()
    phone.locator("[data-test=confirm]").click()  # 核对信息, then the results
    phone.wait_for_url(re.compile(r"/calculator/result\?"))
    assert_fits(phone)
    assert_labelled(phone)
    shot(phone, "phone-calculator-results")


def test_the_answer_address_carries_a_token_not_the_figures(server, page):
    """Addresses end up in logs and browser history: the enterprise's figures stay on the server."""
    from urllib.parse import parse_qs, urlparse

    page.goto(server + "/calculator")
    page.get_by_label("名称（企业名称或姓名）").fill("地址测试有限公司")
    page.get_by_label("统一社会信用代码").fill("91530100MA6K3YXF8W")
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("算力支出（算力券）").check()
    page.locator("#f-compute_claims-0-date").fill("2024-05-10")
    page.locator("#f-compute_claims-0-category").select_option("compute_rental")
    page.locator("#f-compute_claims-0-spend").fill("1234567.89")
    page.locator("[data-test=calculate]").click()
    page.locator("[data-test=confirm]").click()  # 核对信息, then the results
    page.wait_for_url(re.compile(r"/calculator/result\?"))
    query = parse_qs(urlparse(page.url).query)
    assert len(query["p"][0]) == 43  # a SHA-256 token
    assert "1234567" not in page.url and "91530100MA6K3YXF8W" not in page.url
    assert "¥370,370.37" in page.content()  # 30% of the spend, from the inputs kept on the server
    again = page.request.get(server + "/calculator/result?p=" + query["p"][0] + "&as_of=2024-12-31")
    assert again.status == 200 and "¥370,370.37" in again.text()
    unknown = page.request.get(server + "/calculator/result?p=" + "A" * 43)
    assert unknown.status == 200 and "链接中的测算数据无效" in unknown.text()  # the wizard again, with a message
