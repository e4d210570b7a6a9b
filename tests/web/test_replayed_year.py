"""The pages on a replayed policy year (issue 15): what ``make run`` shows, on a smaller city — every page has
realistic content, reads as a citizen or official would expect, and passes the axe checks at both widths."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import assert_accessible, login, shot

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
