"""The public pages in a real browser: catalogue, a measure beside its text, search as you type,
the language switch, and the same pages at phone width."""

from __future__ import annotations

import re

from tests.web.conftest import assert_fits, assert_labelled, shot


def test_catalogue_by_chapter_and_department(server, page):
    page.goto(server + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator(".cards [data-measure]").count() == 30
    depts = page.locator("[data-department]")
    assert depts.count() >= 10
    assert page.locator('[data-department="市工业和信息化局"] a').count() >= 5
    assert_labelled(page)
    shot(page, "public-catalogue")


def test_measure_page_shows_text_beside_provisions(server, page):
    page.goto(server + "/measures/m07")
    source = page.locator("[data-test=source]").inner_text()
    assert "设立总额3000万元的“算力券”" in source
    card = page.locator('[data-provision="m07.compute_voucher"]')
    assert "30%" in card.inner_text() and "¥500,000.00" in card.inner_text()
    assert "市工业和信息化局审核" in card.inner_text()
    card.locator("summary").click()
    assert "按实际支出费用给予30%补助，每年最高50万元" in card.locator("blockquote").inner_text()
    shot(page, "public-measure-m07")
    missing = page.request.get(server + "/measures/m99")  # not navigated: a 404 document logs a console error
    assert missing.status == 404 and "未找到措施“m99”" in missing.text()


def test_search_as_you_type_and_without_script(server, page):
    page.goto(server + "/")
    page.get_by_label("搜索政策措施").press_sequentially("算力券", delay=30)
    first = page.locator("#live-results [data-measure]").first
    first.wait_for()
    assert first.get_attribute("data-measure") == "m07"
    shot(page, "public-search-live")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url(re.compile(r"/search\?q="))
    assert page.locator("[data-test=results] [data-measure]").first.get_attribute("data-measure") == "m07"
    page.goto(server + "/search?q=" + "zzzz没有这种东西")
    assert page.locator("[data-test=none]").is_visible()


def test_english_switch_is_remembered(server, page):
    page.goto(server + "/measures/m07")
    page.locator("[data-test=lang-switch]").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Original text (Chinese)" in page.content()
    page.goto(server + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    shot(page, "public-catalogue-en")
    page.locator("[data-test=lang-switch]").click()
    assert page.locator("html").get_attribute("lang") == "zh-CN"


def test_public_pages_fit_a_phone(server, phone):
    for path, name in (("/", "catalogue"), ("/measures/m12", "measure-m12"), ("/search?q=公积金", "search"), ("/login", "login")):
        phone.goto(server + path)
        assert_fits(phone)
        assert_labelled(phone)
        shot(phone, f"phone-{name}")


def test_sign_in_and_out(server, page):
    from tests.web.conftest import login

    page.goto(server + "/login")
    page.get_by_label("用户名").fill("ent-demo")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    assert page.locator("[role=alert]").is_visible()
    login(page, server, "ent-demo")
    assert "昆明示例智能科技有限公司" in page.locator("[data-test=who]").inner_text()
    page.get_by_role("button", name="退出").click()
    assert page.locator("[data-test=who]").count() == 0
