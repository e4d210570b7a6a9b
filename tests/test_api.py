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


# -- POST /api/v1/evaluate: the compact answer (default) and the full one ----------------------------

EXAMPLE = "examples/industrial-small-to-scale.json"
SHOWN = {"eligible", "referral"}


def _example_body() -> dict:
    import json
    from pathlib import Path

    return {"profile": json.loads(Path(EXAMPLE).read_text(encoding="utf-8")), "as_of": "2024-10-01"}


def _post(client, query: str = "", headers: dict | None = None):
    r = client.post("/api/v1/evaluate" + query, json=_example_body(), headers=headers or {})
    assert r.status_code == 200, r.text
    return r


def _row_key(row: dict) -> tuple:
    return row["provision_id"], row.get("event_id")


def test_the_compact_answer_holds_exactly_the_eligible_and_referral_rows_of_the_full_one(client):
    full = _post(client, "?detail=full").json()
    compact = _post(client).json()
    assert (full["detail"], compact["detail"], compact["lang"]) == ("full", "compact", "zh")
    wanted = [r for r in full["results"] if r["status"] in SHOWN]
    assert {r["status"] for r in wanted} == SHOWN  # the example has both, so the check means something
    # the same rows in the same order, with the same amounts and words (the full row's keys, Chinese only)
    assert [_row_key(r) for r in compact["results"]] == [_row_key(r) for r in wanted]
    for short, long in zip(compact["results"], wanted):
        for key in ("status", "amount_fen", "amount_display", "is_cap", "kind", "measure_id", "decision_date",
                    "title_zh", "explanation_zh", "explanation_key", "lead_departments"):
            assert short[key] == long[key], (short["provision_id"], key)
        assert short["benefit"] == {k: v for k, v in long["benefit"].items() if k in ("code", "zh", "total_zh")}
        assert not {"title_en", "explanation_en", "conditions", "facts", "citation"} & short.keys()
    # every other row by its key, none lost and none twice
    rest = [r for r in full["results"] if r["status"] not in SHOWN]
    assert [(r["provision_id"], r.get("event_id"), r["status"], r["explanation_key"]) for r in compact["others"]] == \
           [(r["provision_id"], r["event_id"], r["status"], r["explanation_key"]) for r in rest]
    assert len(compact["results"]) + len(compact["others"]) == len(full["results"])
    # the same money: totals equal, and equal to the eligible rows' sum
    for key in ("by_measure", "overall", "overall_display"):
        assert compact["totals"][key] == full["totals"][key]
    assert [(b["code"], b["fen"]) for b in compact["totals"]["by_benefit"]] == \
           [(b["code"], b["fen"]) for b in full["totals"]["by_benefit"]]
    paid = sum(r["amount_fen"] for r in compact["results"] if r["status"] == "eligible" and r["benefit"]["code"] == "money")
    assert compact["totals"]["overall"]["paid_fen"] == paid > 0
    assert compact["policy_status"]["code"] == full["policy_status"]["code"]
    assert "note_zh" in compact["policy_status"] and "note_en" not in compact["policy_status"]


def test_the_full_answer_is_the_engines_every_row_in_both_languages(client):
    import datetime as dt

    from huiqi import policies
    from huiqi.engine.evaluate import evaluate
    from huiqi.profile.model import profile_model

    full = _post(client, "?detail=full&lang=en").json()  # lang does not cut the full answer
    policy = policies.load()
    engine = evaluate(policy, profile_model(policy).model_validate(_example_body()["profile"]), dt.date(2024, 10, 1), None)
    assert [_row_key(r) for r in full["results"]] == [(r.provision_id, r.event_id) for r in engine.results]
    assert [r["amount_fen"] for r in full["results"]] == [r.amount_fen for r in engine.results]
    assert all(r["explanation_zh"] and r["explanation_en"] and "conditions" in r for r in full["results"])


def test_compact_answer_is_much_smaller(client):
    compact, full = _post(client).content, _post(client, "?detail=full").content
    assert len(compact) * 2 < len(full)


@pytest.mark.parametrize("query,accept,lang", [
    ("", None, "zh"),
    ("", "en-GB,en;q=0.9", "en"),
    ("", "fr-FR, en;q=0.5, zh;q=0.4", "en"),
    ("", "en;q=0.3, zh-CN", "zh"),
    ("", "zh-Hans-CN", "zh"),
    ("", "de, fr", "zh"),
    ("", ";;;q=x,,", "zh"),
    ("?lang=zh", "en", "zh"),
    ("?lang=en", "zh-CN", "en"),
])
def test_the_compact_answer_speaks_the_language_asked(client, query, accept, lang):
    import re

    r = _post(client, query, {"accept-language": accept} if accept else {})
    body = r.json()
    assert body["lang"] == lang and r.headers["content-language"] == ("zh-CN" if lang == "zh" else "en")
    assert "accept-language" in r.headers["vary"].lower()
    other = "en" if lang == "zh" else "zh"
    row = next(x for x in body["results"] if x["status"] == "eligible")
    assert row[f"explanation_{lang}"] and f"explanation_{other}" not in row and f"title_{other}" not in row
    has_chinese = bool(re.search(r"[\u4e00-\u9fff]", row[f"explanation_{lang}"]))
    assert has_chinese == (lang == "zh")
    if lang == "en":  # departments by the English names the policy gives them
        assert all(not re.search(r"[\u4e00-\u9fff]", d) for d in row["lead_departments"])


@pytest.mark.parametrize("query,field", [("?detail=everything", "query.detail"), ("?lang=fr", "query.lang")])
def test_a_bad_detail_or_language_is_a_422_naming_it(client, query, field):
    r = client.post("/api/v1/evaluate" + query, json=_example_body())
    assert r.status_code == 422 and r.json()["error"]["field"] == field


def test_the_answer_is_gzipped_when_asked_and_large_enough(client):
    r = _post(client, headers={"accept-encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip" and int(r.headers["content-length"]) * 3 < len(r.content)
    assert r.json()["detail"] == "compact"  # and reads back whole
    small = client.post("/api/v1/evaluate?lang=fr", json=_example_body(), headers={"accept-encoding": "gzip"})
    assert small.status_code == 422 and "content-encoding" not in small.headers  # under 1 KB: sent as it is


def test_serve_takes_a_number_of_worker_processes(tmp_path):
    """`huiqi serve --workers 2` starts two worker processes, each answering the evaluate route."""
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "HUIQI_DATABASE_URL": f"sqlite:///{tmp_path}/huiqi.db"}
    server = subprocess.Popen([sys.executable, "-m", "huiqi.cli", "serve", "--port", str(port), "--workers", "2"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                r = httpx.post(f"http://127.0.0.1:{port}/api/v1/evaluate", json=_example_body(), timeout=30)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.3)
        assert r.status_code == 200 and r.json()["detail"] == "compact"
        workers = [p for p in os.listdir("/proc") if p.isdigit() and _parent(p) == server.pid]
        assert len(workers) >= 2, workers  # uvicorn's supervisor and its two workers
    finally:
        server.terminate()
        server.wait(timeout=30)


def _parent(pid: str) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return -1
