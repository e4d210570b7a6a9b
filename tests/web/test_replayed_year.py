"""The pages on a replayed policy year (issue 15): what ``make run`` shows, on a smaller city — every page has
realistic content, reads as a citizen or official would expect, and passes the axe checks at both widths."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import PASSWORD, assert_accessible, login, shot

DEMO_SIZE = "small"
SERVER_TODAY = "2024-12-31"

PAGES = [  # (who signs in, path, what the page must show from the year)
    (None, "/dashboard", ["算力券", "已批准奖补：按批准月份", "政策目标完成进度"]),
    (None, "/notices", ["拟兑现名单公示", "公示期"]),
    (None, "/lists", ["共"]),
    ("rev-gongxin", "/review", ["算力券"]),
    ("fin-demo", "/review", []),
    ("rev-touzi", "/projects", ["项目"]),
    ("rev-fagai", "/commitments", ["已完成"]),
    ("rev-gongxin", "/voice/inbox", []),
    ("ent-demo", "/portal", ["算力券"]),
]


def _text(page) -> str:
    return page.inner_text("main")


@pytest.mark.parametrize("who, path, words", PAGES, ids=[f"{w or 'visitor'}{p}" for w, p, _ in PAGES])
def test_each_page_of_the_replayed_year(server, page, phone, who, path, words):
    for p, width in ((page, "desktop"), (phone, "phone")):
        if who:
            login(p, server, who)
        p.goto(server + path)
        text = _text(p)
        for w in words:
            assert w in text, f"{path} as {who}: «{w}» missing"
        assert not re.search(r"\b[a-z]+_[a-z_]+\b|\bm\d\d\.[a-z_]+", text), f"{path}: an identifier reached the page"
        assert_accessible(p)
        shot(p, f"replayed{path.replace('/', '-')}-{who or 'visitor'}-{width}")


def test_the_dashboard_tells_the_story_of_the_year(server, page):
    page.goto(server + "/dashboard")
    text = _text(page)
    months = set(re.findall(r"2024-(0[3-9]|1[0-2])\s", text))
    assert len(months) >= 6, f"awards in only {sorted(months)}"  # awards across the year, not one day
    used = re.search(r"算力券\s+¥[\d,]+\.\d\d\s+¥[\d,]+\.\d\d\s+¥[\d,]+\.\d\d\s+¥([\d,]+\.\d\d)", text)
    assert used and used.group(1) != "0.00", "the 算力券 pool shows no money used"


def test_the_public_notice_lists_titled_batches_and_payments(server, page):
    page.goto(server + "/notices")
    text = _text(page)
    titles = set(re.findall(r"2024年第\d+批[^\s]+拟兑现名单公示", text))
    assert len(titles) >= 3, titles
    assert "已拨付" in text or "公示期满" in text


def test_the_paid_list_is_paged(server, page):
    page.goto(server + "/notices")
    first = page.locator("[data-test=disbursed] tr[data-app]").evaluate_all("rows => rows.map(r => r.dataset.app)")
    assert 0 < len(first) <= 50
    pager = page.locator("[data-test=pager]")
    assert "第 1/" in pager.inner_text()
    pager.get_by_role("link", name="下一页").click()
    second = page.locator("[data-test=disbursed] tr[data-app]").evaluate_all("rows => rows.map(r => r.dataset.app)")
    assert second and not set(first) & set(second)
    assert "第 2/" in page.locator("[data-test=pager]").inner_text()
    assert_accessible(page)
    page.goto(server + "/notices?page=99999999999")  # out of range or absurd: the first page, never an error
    assert "第 1/" in page.locator("[data-test=pager]").inner_text()


def test_finance_publishes_the_ticked_applications_as_one_batch(server, page):
    login(page, server, "fin-demo")
    page.goto(server + "/review")
    rows = page.locator("[data-test=to-publish] tr[data-app]")
    ids = rows.evaluate_all("rows => rows.map(r => r.dataset.app)")
    assert len(ids) >= 3, ids  # the replayed year leaves approved applications waiting for 公示
    picked, kept = ids[:2], ids[2:]
    for app_id in kept:  # all are ticked by default: leave out the rest
        page.locator(f"[data-test=to-publish] tr[data-app='{app_id}'] [data-test=pick]").uncheck()
    page.locator("#batch-days").fill("7")
    with page.expect_navigation():
        page.locator("[data-test=publish-ticked]").click()
    assert "已公示 2 项，公示至 2025-01-" in page.locator("[data-test=message]").inner_text()
    left = page.locator("[data-test=to-publish] tr[data-app]").evaluate_all("rows => rows.map(r => r.dataset.app)")
    assert set(left) == set(kept)
    in_notice = page.locator("[data-test=in-notice] tr[data-app]").evaluate_all("rows => rows.map(r => r.dataset.app)")
    assert set(picked) <= set(in_notice)
    assert_accessible(page)
    public = page.context.new_page()
    public.goto(server + "/notices")
    for app_id in picked:
        assert public.locator(f"[data-test=current] [data-app='{app_id}']").count() == 1


def test_a_batch_with_nothing_ticked_or_a_bad_period_stores_nothing(server, page):
    login(page, server, "fin-demo")
    page.goto(server + "/review")
    before = page.locator("[data-test=to-publish] tr[data-app]").count()
    first = page.locator("[data-test=to-publish] tr[data-app]").first.get_attribute("data-app")
    csrf = page.locator("#publish-batch input[name=csrf_token]").get_attribute("value")
    r = page.request.post(server + "/review/publish", form={"csrf_token": csrf, "notice_days": "99", "app_id": first})
    assert r.status == 200 and "公示期（工作日）" in r.text() and "30" in r.text()  # the browser's own check bypassed
    for box in page.locator("[data-test=to-publish] [data-test=pick]").all():
        box.uncheck()
    page.locator("#batch-days").fill("5")
    with page.expect_navigation():
        page.locator("[data-test=publish-ticked]").click()
    assert "未勾选任何申请" in page.locator("[data-test=error]").inner_text()
    assert page.locator("[data-test=to-publish] tr[data-app]").count() == before


def test_the_inbox_names_the_enterprise_and_the_department_that_answered(server, page):
    login(page, server, "rev-gongxin")
    page.goto(server + "/voice/inbox")
    text = _text(page)
    assert "由 市工业和信息化局 答复" in text
    assert "rev-gongxin" not in text  # the username one signs in with is not who answered
    first = page.locator("[data-test=inbox] li").first
    assert re.search(r"企业\s*\S+.*[0-9A-Z]{18}", first.inner_text(), re.S), first.inner_text()


def test_english_pages_capitalise_status_words(server, page):
    login(page, server, "rev-gongxin")
    page.goto(server + "/review?lang=en")
    statuses = set(page.locator("[data-test=waiting] .pill.warn").all_inner_texts())
    assert statuses and all(s[0].isupper() for s in statuses), statuses
    assert statuses <= {"Submitted", "Under review", "Returned for more"}


def test_the_project_registry_is_paged(server, page):
    """Past 50 projects the registry shows 50 at a time (the full year registers ~150); an absurd page: the first."""
    answer = page.request.post(server + "/api/v1/auth/login", data={"username": "rev-touzi", "password": PASSWORD})
    csrf = answer.json()["csrf_token"]
    page.goto(server + "/projects")
    have = int(re.search(r"共 (\d+) 个项目", _text(page)).group(1))
    for n in range(max(0, 60 - have)):
        made = page.request.post(server + "/api/v1/projects", headers={"X-CSRF-Token": csrf}, data={
            "code": f"PG-{n:03d}", "name": f"翻页测试项目{n}", "investor": "翻页测试投资有限公司", "investor_origin": "省外",
            "district": "530111",
            "total_investment": "120000000.00", "stage": "前期", "introduced_on": "2024-06-03"})
        assert made.status == 201, made.text()
    page.goto(server + "/projects")
    total = int(re.search(r"共 (\d+) 个项目", _text(page)).group(1))
    first = page.locator("[data-test=projects] tr[data-project]").evaluate_all("rows => rows.map(r => r.dataset.project)")
    assert total >= 60 and len(first) == 50
    pager = page.locator("[data-test=pager]")
    assert f"第 1/{-(-total // 50)} 页" in pager.inner_text()
    pager.get_by_role("link", name="下一页").click()
    second = page.locator("[data-test=projects] tr[data-project]").evaluate_all("rows => rows.map(r => r.dataset.project)")
    assert second and not set(first) & set(second)
    assert_accessible(page)
    page.goto(server + "/projects?page=99999999999")
    assert "第 1/" in page.locator("[data-test=pager]").inner_text()
