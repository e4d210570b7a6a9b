"""The JSON API, called in-process: catalogue, search, errors as JSON, OpenAPI docs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from huiqi.api.app import create_app


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


def test_list_measures(client):
    r = client.get("/api/v1/measures")
    assert r.status_code == 200
    data = r.json()
    assert [m["id"] for m in data] == [f"m{i:02d}" for i in range(1, 31)]
    assert all(m["provisions"] and m["lead_departments"] for m in data)


def test_api_and_cli_give_the_same_measure(client):
    import json

    from typer.testing import CliRunner

    from huiqi.cli import app

    cli = json.loads(CliRunner().invoke(app, ["measures", "show", "m23", "--format", "json"]).stdout)
    assert client.get("/api/v1/measures/m23").json() == cli


def test_measure_ids_are_case_insensitive(client):
    assert client.get("/api/v1/measures/M07").json()["id"] == "m07"


def test_unknown_measure_is_a_404_json_error(client):
    r = client.get("/api/v1/measures/m31")
    assert r.status_code == 404
    err = r.json()["error"]
    assert err["code"] == "measure_not_found" and "m31" in err["message_en"] and err["field"] == "measure_id"


def test_search(client):
    r = client.get("/api/v1/search", params={"q": "公积金"})
    assert r.status_code == 200 and r.json()["results"][0]["id"] == "m13"
    assert client.get("/api/v1/search", params={"q": "compute voucher"}).json()["results"][0]["id"] == "m07"


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "x" * 201}, {"q": "算力", "limit": 0}, {"q": " "}])
def test_bad_search_is_a_422_naming_the_field(client, params):
    r = client.get("/api/v1/search", params=params)
    assert r.status_code == 422
    assert r.json()["error"]["field"].split(".")[-1] in {"q", "limit"}


def test_unknown_route_is_json_404(client):
    r = client.get("/api/v1/nothing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_openapi_and_docs(client):
    spec = client.get("/openapi.json").json()
    for path in ("/api/v1/measures", "/api/v1/measures/{measure_id}", "/api/v1/search", "/api/v1/policy"):
        assert path in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_home_page_lists_measures_in_chinese(client):
    r = client.get("/")
    assert r.status_code == 200 and 'lang="zh-CN"' in r.text
    assert "大力支持数实融合" in r.text and r.text.count("data-measure=") == 30
