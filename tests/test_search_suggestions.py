"""A search that finds nothing says so and suggests words that do find measures: API, CLI and page."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from huiqi.api.app import create_app


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


def test_api_finds_what_people_type(client):
    for q, expected in [("工信局", "m07"), ("算力补贴", "m07"), ("买车补贴", "m12"), ("稳岗", "m28")]:
        body = client.get("/api/v1/search", params={"q": q}).json()
        assert body["results"][0]["id"] == expected and body["suggestions"] == [], q


def test_api_suggests_for_a_miss(client):
    body = client.get("/api/v1/search", params={"q": "工信"}).json()
    assert body["count"] == 0 and body["results"] == []
    assert body["suggestions"][:2] == ["工信局", "市工业和信息化局"]


def test_cli_suggests_for_a_miss():
    from typer.testing import CliRunner

    from huiqi.cli import app

    runner = CliRunner()
    data = json.loads(runner.invoke(app, ["search", "发改", "--format", "json"]).stdout)
    assert data["count"] == 0 and "市发展改革委" in data["suggestions"]
    table = runner.invoke(app, ["search", "发改"])
    assert table.exit_code == 0 and "可换个说法" in table.stdout and "市发展改革委" in table.stdout


def test_search_page_says_nothing_found_and_suggests(client):
    page = client.get("/search", params={"q": "工信", "lang": "zh"}).text
    assert 'data-test="none"' in page and "没有找到相关措施，可换个说法，如：" in page
    assert 'data-test="suggestions"' in page and 'href="/search?q=%E5%B7%A5%E4%BF%A1%E5%B1%80"' in page
    english = client.get("/search", params={"q": "compte vouchr", "lang": "en"}).text
    assert "No measure matches; try other words, such as:" in english and "compute voucher" in english


def test_search_page_without_suggestions_gives_examples(client):
    page = client.get("/search", params={"q": "zzzxqy", "lang": "zh"}).text
    assert "没有找到相关措施，可换个说法，" in page and 'data-test="suggestions"' not in page


def test_search_page_finds_an_abbreviation(client):
    page = client.get("/search", params={"q": "工信局"}).text
    assert 'data-test="results"' in page and 'data-measure="m07"' in page
