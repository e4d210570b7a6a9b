"""The calculator in a real browser, as issue 12 item 4 asks: the questions follow the applicant's kind and
the chosen events (在库 only with 首次升规入统, nothing of an enterprise's for a resident), 核对信息 shows
every answer in words with 修改 back to its question, and applying needs the 信用承诺 — for an enterprise and a
resident, at 1280 and 390 px, each page checked by axe-core."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import assert_accessible, assert_fits, assert_labelled, login, shot

DEMO_CODE = "91530100MA6K3YXF8W"  # ent-demo's enterprise
WIDTHS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}


@pytest.fixture(params=list(WIDTHS))
def sized(request, browser):
    """A page at one width; the test fails on any console error."""
    from tests.web.conftest import _new_page

    context, page, problems = _new_page(browser, WIDTHS[request.param])
    yield request.param, page
    context.close()
    assert not problems, problems


def _check(page, width: str, name: str) -> None:
    (assert_fits if width == "390" else assert_accessible)(page)  # assert_fits runs axe-core too
    assert_labelled(page)
    shot(page, f"wizard-{width}-{name}")


def _answers(page) -> dict[str, str]:
    rows = page.locator(".summary-row[data-field]")
    return {rows.nth(i).get_attribute("data-field"): rows.nth(i).locator("[data-test=answer]").inner_text().strip()
            for i in range(rows.count())}


def test_an_enterprise_through_check_your_answers_to_applying(server, sized):
    width, page = sized
    event_id = f"c{width}"
    login(page, server, "ent-demo")
    page.goto(server + "/calculator")
    # the first step follows the kind: a person is not asked an enterprise's questions
    page.get_by_label("申请人类型").select_option("individual")
    assert not page.locator("#f-credit_code").is_visible() and not page.locator("#f-industry").is_visible()
    page.get_by_label("申请人类型").select_option("enterprise")
    assert page.locator("#f-credit_code").is_visible() and page.locator("#f-size_class").is_visible()
    _check(page, width, "enterprise-1")
    page.get_by_label("名称（企业名称或姓名）").fill("昆明示例智能科技有限公司")
    page.get_by_label("统一社会信用代码").fill(DEMO_CODE)
    page.get_by_label("所在县（市、区）").select_option("530111")
    page.get_by_label("国民经济行业代码").fill("3311")  # an industrial enterprise (金属结构制造)
    page.get_by_label("企业规模").select_option("small")
    page.get_by_role("button", name="下一步").click()
    page.wait_for_load_state("networkidle")
    # 在库 is asked once the enterprise says it entered the above-scale statistics, and only then
    assert not page.locator("#f-in_statistics_db").is_visible()
    assert page.get_by_label("获得认定（企业技术中心、专精特新“小巨人”等）").count() == 1
    assert page.locator('input[name=families][value="home_purchases"]').count() == 0  # residents' only
    page.get_by_label("首次升规入统（小升规、新建投产入规）").check()
    assert page.locator("#f-in_statistics_db").is_visible()
    page.locator("#f-in_statistics_db").select_option("yes")
    page.locator("#f-scale_entries-0-date").fill("2023-08-01")
    page.locator("#f-scale_entries-0-path").select_option("small_to_scale")
    page.get_by_label("算力支出（算力券）").check()
    page.locator("#f-compute_claims-0-date").fill("2024-05-10")
    page.locator("#f-compute_claims-0-category").select_option("compute_rental")
    page.locator("#f-compute_claims-0-spend").fill("1000000")
    page.locator("#f-compute_claims-0-id").fill(event_id)
    _check(page, width, "enterprise-2")
    page.locator("[data-test=calculate]").click()
    page.wait_for_url(re.compile(r"/calculator/check\?"))
    # 核对信息: every answer in words
    assert page.locator("ol.steps [aria-current=step]").inner_text().strip().endswith("核对信息")
    answers = _answers(page)
    assert answers["kind"] == "企业（含个体工商户）" and answers["district"] == "官渡区（530111）"
    assert answers["industry"].startswith("3311 ") and answers["size_class"] == "小型"
    assert answers["in_statistics_db"] == "是" and answers["scale_entries-0-path"] == "小升规"
    assert answers["compute_claims-0-spend"] == "¥1,000,000.00" and answers["compute_claims-0-category"] == "租赁算力"
    assert answers["scale_entries-0-date"] == "2023年8月1日" and answers["compute_claims-0-id"] == event_id
    _check(page, width, "enterprise-check")
    # 修改 goes back to the question, everything kept; change the answer and check again
    page.locator('.summary-row[data-field="in_statistics_db"] [data-test=change]').click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#f-in_statistics_db").is_visible() and page.locator("#f-in_statistics_db").input_value() == "yes"
    assert page.locator("#f-compute_claims-0-spend").input_value() == "1000000"
    page.locator("#f-in_statistics_db").select_option("no")
    page.locator("[data-test=calculate]").click()
    page.wait_for_url(re.compile(r"/calculator/check\?"))
    assert _answers(page)["in_statistics_db"] == "否"
    page.locator('.summary-row[data-field="in_statistics_db"] [data-test=change]').click()
    page.wait_for_url(re.compile(r"/calculator\?.*step=2"))
    page.locator("#f-in_statistics_db").select_option("yes")
    page.locator("[data-test=calculate]").click()
    page.wait_for_url(re.compile(r"/calculator/check\?"))
    page.locator("[data-test=confirm]").click()
    page.wait_for_url(re.compile(r"/calculator/result\?"))
    assert page.locator("ol.steps [aria-current=step]").inner_text().strip().endswith("测算结果")
    award = page.locator('[data-provision="m03.small_to_scale_award"]')
    assert award.get_attribute("data-status") == "eligible"  # decided on the answer, not 「信息不足」
    assert "信息不足" not in award.inner_text()
    _check(page, width, "enterprise-result")
    # applying: without the 信用承诺 the server refuses naming it; with it the application is created
    card = page.locator(f'[data-provision="m07.compute_voucher"][data-event="{event_id}"]')
    assert "所填信息真实、准确、完整" in card.locator("label.declaration").inner_text()
    card.locator("[data-test=apply]").click()
    page.wait_for_load_state("networkidle")
    alert = page.locator("[data-test=apply-error]")
    assert "信用承诺" in alert.inner_text() and "未创建申请" in alert.inner_text()
    card = page.locator(f'[data-provision="m07.compute_voucher"][data-event="{event_id}"]')
    card.locator("[data-test=declaration]").check()
    card.locator("[data-test=apply]").click()
    page.wait_for_url(re.compile(r"/portal/applications/\d+"))


def test_a_resident_is_asked_only_a_residents_questions(server, sized):
    width, page = sized
    page.goto(server + "/calculator")
    page.get_by_label("申请人类型").select_option("individual")
    page.get_by_label("名称（企业名称或姓名）").fill("张三")
    for label in ("统一社会信用代码", "国民经济行业代码", "企业规模", "所在县（市、区）"):
        assert not page.get_by_label(label).is_visible(), label
    _check(page, width, "resident-1")
    page.get_by_role("button", name="下一步").click()
    page.wait_for_load_state("networkidle")
    offered = page.locator("input[name=families]").evaluate_all("els => els.map(e => e.value)")
    assert "vehicles" in offered and "home_purchases" in offered
    assert not {"compute_claims", "scale_entries", "recognitions", "tenders", "projects"} & set(offered)
    page.get_by_label("购车", exact=True).check()
    assert page.locator("#fam-vehicles").is_visible()
    assert "增值税税率" not in page.locator("main").inner_text() and page.locator("#f-vehicles-0-vat_rate").count() == 0
    page.locator("#f-vehicles-0-date").fill("2024-06-01")
    page.locator("#f-vehicles-0-price_incl_vat").fill("226000")
    page.locator("#f-vehicles-0-new_energy").select_option("yes")
    _check(page, width, "resident-2")
    page.locator("[data-test=calculate]").click()
    page.wait_for_url(re.compile(r"/calculator/check\?"))
    answers = _answers(page)
    assert answers["kind"] == "个人或家庭" and answers["name"] == "张三"
    assert answers["vehicles-0-price_incl_vat"] == "¥226,000.00" and answers["vehicles-0-new_energy"] == "是"
    assert answers["vehicles-0-date"] == "2024年6月1日"
    assert not {"credit_code", "industry", "size_class", "district"} & set(answers)
    _check(page, width, "resident-check")
    page.locator("[data-test=confirm]").click()
    page.wait_for_url(re.compile(r"/calculator/result\?"))
    card = page.locator('[data-test=eligible] [data-provision="m12.nev_purchase_tax_exemption"]')
    assert "¥20,000.00" in card.locator("[data-test=amount]").inner_text()
    _check(page, width, "resident-result")
    page.goto(page.url + "&lang=en")
    assert page.locator("ol.steps [aria-current=step]").inner_text().strip().endswith("Results")
