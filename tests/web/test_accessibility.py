"""Every page of every story, at a desktop (1280 px) and a phone (390 px) width, as each kind of user meets it:
axe-core finds no serious or critical violation, nothing sticks out sideways, no table hides a column off-screen,
every field has a label, and no console error (issue 12, item 7). Screenshots: build/screenshots/a11y-*.png.

Pages that depend on the data (an applicant's own applications, the reviewer's queue, a project) are found by
following the site's own links. English pages come last in each story: the language choice sticks.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from tests.web.conftest import PASSWORD, assert_accessible, assert_fits, assert_labelled, shot

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}

# story: (account or None, pages to open, the links to follow from the first page that has them)
STORIES: dict[str, tuple[str | None, list[str], str | None]] = {
    "visitor": (None, ["/", "/policies", "/measures/m07", "/measures/m12", "/measures/m13", "/measures/m24",
                       "/measures/m25", "/search?q=算力", "/search?q=zzzz没有这种东西", "/calculator", "/notices",
                       "/notices/audit", "/dashboard", "/lists", "/voice", "/login", "/no-such-page", "/?lang=en",
                       "/measures/m07?lang=en", "/notices?lang=en", "/dashboard?lang=en", "/lists?lang=en"], None),
    "enterprise": ("ent-demo", ["/portal", "/calculator?mine=1&step=2", "/voice", "/portal?lang=en"],
                   r"/portal/applications/\d+$"),
    "reviewer": ("rev-gongxin", ["/review", "/lists/manage", "/voice/inbox", "/commitments", "/commitments/m07.c02",
                                 "/projects", "/zones", "/review?lang=en", "/projects?lang=en"], r"/review/\d+$"),
    "finance": ("fin-demo", ["/review", "/notices", "/dashboard"], r"/review/\d+$"),
    "admin": ("admin", ["/admin", "/admin/parameters", "/admin/parameters?key=m07.compute_voucher:cap", "/projects",
                        "/commitments", "/admin?lang=en"], r"/projects/\d+$"),
}
NOT_FOUND = "/no-such-page"


def _context(browser, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []
    # the one page that answers 404 on purpose logs its own status as a console error: that one is expected
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}")
            if m.type == "error" and urlparse(page.url).path != NOT_FOUND else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    return context, page, problems


def _sign_in(page, server, username):
    page.goto(server + "/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url, f"{username} could not sign in"


def _check(page, name):
    page.wait_for_load_state("networkidle")
    assert_fits(page)  # also runs axe
    assert_labelled(page)
    shot(page, name)


def _slug(path: str) -> str:
    return re.sub(r"[^0-9A-Za-z]+", "-", path).strip("-") or "home"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("story", STORIES)
def test_every_page_of_the_story_is_accessible(server, browser, story, width):
    account, paths, follow = STORIES[story]
    context, page, problems = _context(browser, WIDTHS[width])
    try:
        if account:
            _sign_in(page, server, account)
        followed: list[str] = []
        for path in paths:
            page.goto(server + path)
            _check(page, f"a11y-{width}-{story}-{_slug(path)}")
            if follow and not followed:  # the first page that links there: open (up to three of) its links
                hrefs = page.eval_on_selector_all("main a[href]", "els => els.map(a => a.getAttribute('href'))")
                followed = sorted({h.split("?")[0] for h in hrefs if re.search(follow, h.split("?")[0])})[:3]
                for link in followed:
                    page.goto(server + link)
                    _check(page, f"a11y-{width}-{story}-{_slug(link)}")
        assert not follow or followed, f"no link to {follow} on {paths} for {story}"
    finally:
        context.close()
    assert not problems, problems


def _calculator_answer(page, server, *, resident: bool) -> None:
    page.goto(server + "/calculator")
    if resident:
        page.get_by_label("申请人类型").select_option("individual")
        page.get_by_label("名称（企业名称或姓名）").fill("张三")
    else:
        page.get_by_label("名称（企业名称或姓名）").fill("昆明无障碍科技有限公司")
        page.get_by_label("统一社会信用代码").fill("91530100MA6K3YXF8W")
        page.get_by_label("所在县（市、区）").select_option("530111")
        page.get_by_label("国民经济行业代码").fill("6513")
    page.get_by_role("button", name="下一步").click()
    page.wait_for_load_state("networkidle")
    if resident:
        page.get_by_label("购车", exact=True).check()
        page.locator("#f-vehicles-0-date").fill("2024-06-01")
        page.locator("#f-vehicles-0-price_incl_vat").fill("226000.00")
        page.locator("#f-vehicles-0-new_energy").select_option("yes")
    else:
        page.get_by_label("算力支出（算力券）").check()
        page.locator("#f-compute_claims-0-date").fill("2024-05-10")
        page.locator("#f-compute_claims-0-category").select_option("compute_rental")
        page.locator("#f-compute_claims-0-spend").fill("1000000.00")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("who", ["enterprise", "resident"])
def test_the_calculator_is_accessible_at_every_step(server, browser, who, width):
    context, page, problems = _context(browser, WIDTHS[width])
    try:
        page.goto(server + "/calculator")
        _check(page, f"a11y-{width}-{who}-calculator-1")
        _calculator_answer(page, server, resident=who == "resident")
        _check(page, f"a11y-{width}-{who}-calculator-2")
        page.locator("[data-test=calculate]").click()
        page.wait_for_url(re.compile(r"/calculator/check\?"))
        _check(page, f"a11y-{width}-{who}-calculator-check")  # 核对信息
        page.locator("[data-test=confirm]").click()
        page.wait_for_url(re.compile(r"/calculator/result\?"))
        _check(page, f"a11y-{width}-{who}-calculator-result")
        page.goto(page.url + "&lang=en")
        _check(page, f"a11y-{width}-{who}-calculator-result-en")
    finally:
        context.close()
    assert not problems, problems


def test_the_checks_catch_what_they_should(server, page):
    """The checks themselves work under the pages' CSP: a page made to break the rules fails them."""
    page.goto(server + "/")
    assert_fits(page)
    page.evaluate("""() => {
      const main = document.querySelector('main');
      main.insertAdjacentHTML('beforeend', '<img src="data:,"><p style="color:#ddd">浅色文字</p>');
    }""")
    with pytest.raises(AssertionError) as failed:
        assert_accessible(page)
    assert "image-alt (critical)" in str(failed.value) and "color-contrast (serious)" in str(failed.value)

    page.goto(server + "/")
    page.evaluate("""() => document.querySelector('main').insertAdjacentHTML('beforeend',
      '<div class="table-wrap" style="width:200px"><table><tr><td>名称</td><td style="min-width:600px">金额</td></tr></table></div>')""")
    with pytest.raises(AssertionError, match="hide columns off-screen"):
        assert_fits(page)
