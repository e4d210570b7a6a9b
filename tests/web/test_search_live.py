"""Live search in a real browser: a miss says so and offers suggestions that search when clicked."""

from __future__ import annotations


def test_live_search_miss_shows_message_and_suggestions(server, page):
    page.goto(server + "/")
    page.get_by_label("搜索政策措施").press_sequentially("工信", delay=30)
    none = page.locator("#live-results [data-test=live-none]")
    none.wait_for()
    assert "没有找到相关措施，可换个说法，如：" in none.inner_text()
    page.locator('#live-results [data-suggestion="工信局"]').click()
    first = page.locator("#live-results [data-measure]").first
    first.wait_for()
    assert first.get_attribute("data-measure") == "m07"


def test_live_search_nonsense_gives_the_examples(server, page):
    page.goto(server + "/")
    page.get_by_label("搜索政策措施").press_sequentially("zzzxqy", delay=30)
    none = page.locator("#live-results [data-test=live-none]")
    none.wait_for()
    assert "可换个说法，如：算力券" in none.inner_text()


def test_live_search_finds_words_people_type(server, page):
    page.goto(server + "/")
    page.get_by_label("搜索政策措施").press_sequentially("买车补贴", delay=30)
    first = page.locator("#live-results [data-measure]").first
    first.wait_for()
    assert first.get_attribute("data-measure") == "m12"
