"""Bad input is refused with the field named — CLI exit 2, API 422 with the JSON path — and nothing runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from huiqi.api.app import create_app
from huiqi.cli import app

GOOD = {
    "kind": "enterprise",
    "name": "昆明示例机械制造有限公司",
    "credit_code": "91530100MA6K3YXF8W",
    "district": "530111",
    "industry": "3435",
    "in_statistics_db": True,
    "scale_entries": [{"id": "e1", "date": "2023-06-15", "path": "small_to_scale"}],
    "compute_claims": [{"id": "c1", "date": "2024-04-10", "category": "compute_rental", "spend": "1200000.00"}],
}

BAD = [
    # (change, field path the error must name)
    ({"credit_code": "91530100MA6K3YXF8X"}, "credit_code"),  # wrong check character
    ({"credit_code": "9153010OMA6K3YXF8W"}, "credit_code"),  # forbidden letter O
    ({"district": "110101"}, "district"),  # Beijing, not Kunming
    ({"industry": "9999"}, "industry"),  # no such GB/T 4754 class
    ({"kind": "alien"}, "kind"),
    ({"scale_entries": [{"date": "2023-02-30", "path": "small_to_scale"}]}, "scale_entries.0.date"),
    ({"compute_claims": [{"date": "2024-04-10", "category": "compute_rental", "spend": "-1"}]}, "compute_claims.0.spend"),
    ({"compute_claims": [{"date": "2024-04-10", "category": "compute_rental", "spend": "10.001"}]}, "compute_claims.0.spend"),
    ({"compute_claims": [{"date": "2024-04-10", "category": "gpu", "spend": "10"}]}, "compute_claims.0.category"),
    ({"compute_claims": [{"date": "2024-04-10", "category": "compute_rental", "spend": "1e40"}]}, "compute_claims.0.spend"),
    ({"vehicles": [{"date": "2024-05-01", "price_incl_vat": "200000", "vat_rate": "13", "new_energy": True}]}, "vehicles.0.vat_rate"),
    ({"surprise": 1}, "surprise"),
    ({"other_support": [{"provision": "not-an-id", "level": "provincial", "amount": 1}]}, "other_support.0.provision"),
    ({"other_support": [{"provision": "m99.nothing", "level": "provincial", "amount": 1}]}, "other_support.0.provision"),
    ({"other_support": [{"provision": "m03.small_to_scale_award", "level": "provincial", "amount": 1, "event_id": "zz"}]},
     "other_support.0.event_id"),
    ({"compute_claims": [{"id": "c1", "date": "2024-04-10", "category": "compute_rental", "spend": "1"}] * 2},
     "compute_claims.1.id"),
]


def _profile(change: dict) -> dict:
    return {**GOOD, **change}


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


def test_good_profile_evaluates(client):
    r = client.post("/api/v1/evaluate", json={"profile": GOOD, "as_of": "2024-06-30"})
    assert r.status_code == 200
    data = r.json()
    assert data["policy"]["version"] and data["totals"]["overall"]["money_fen"] > 0


@pytest.mark.parametrize("change,field", BAD, ids=[f for _, f in BAD])
def test_api_names_the_bad_field(client, change, field):
    r = client.post("/api/v1/evaluate", json={"profile": _profile(change), "as_of": "2024-06-30"})
    assert r.status_code == 422, r.text
    fields = [d["field"] for d in r.json()["error"]["details"]]
    assert any(f.startswith(f"body.profile.{field}") for f in fields), fields


@pytest.mark.parametrize("change,field", BAD, ids=[f for _, f in BAD])
def test_cli_exits_2_naming_the_field(tmp_path: Path, change, field):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(_profile(change), ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", str(path), "--as-of", "2024-06-30", "--format", "json"])
    assert result.exit_code == 2
    expected = re.sub(r"\.(\d+)\.", r"[\1].", field)
    assert expected in result.stderr, result.stderr
    assert result.stdout == ""  # nothing computed


def test_bad_as_of_date(tmp_path: Path, client):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(GOOD), encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", str(path), "--as-of", "2024-13-01"])
    assert result.exit_code == 2 and "--as-of" in result.stderr
    r = client.post("/api/v1/evaluate", json={"profile": GOOD, "as_of": "2024-13-01"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "body.as_of"


def test_unknown_strategy(client):
    r = client.post("/api/v1/evaluate", json={"profile": GOOD, "strategy": "lowest"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "body.strategy"


def test_not_json(tmp_path: Path, client):
    path = tmp_path / "p.json"
    path.write_text("{not json", encoding="utf-8")
    assert CliRunner().invoke(app, ["evaluate", str(path)]).exit_code == 2
    r = client.post("/api/v1/evaluate", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_oversized_body_is_413(client):
    huge = {"profile": {**GOOD, "name": "x" * 1_100_000}}
    r = client.post("/api/v1/evaluate", json=huge)
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"


def test_over_deep_body_is_refused(client):
    deep = "[" * 5000 + "]" * 5000
    r = client.post("/api/v1/evaluate", content=deep.encode(), headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "body_too_deep"


def test_too_many_events(client):
    claims = [{"date": "2024-04-10", "category": "compute_rental", "spend": "1"}] * 501
    r = client.post("/api/v1/evaluate", json={"profile": {**GOOD, "compute_claims": claims}})
    assert r.status_code == 422


def test_organisation_needs_credit_code(client):
    profile = {k: v for k, v in GOOD.items() if k != "credit_code"}
    r = client.post("/api/v1/evaluate", json={"profile": profile})
    assert r.status_code == 422 and "credit" in json.dumps(r.json(), ensure_ascii=False)


def test_missing_file_exits_2():
    result = CliRunner().invoke(app, ["evaluate", "/nonexistent/profile.json"])
    assert result.exit_code == 2 and "profile.json" in result.stderr


def test_schema_published():
    out = CliRunner().invoke(app, ["schema", "profile"])
    schema = json.loads(out.stdout)
    assert "credit_code" in schema["properties"] and "compute_claims" in schema["properties"]
    api_schema = TestClient(create_app()).get("/api/v1/schema/profile").json()
    assert api_schema == schema


def test_examples_are_valid_profiles():
    from huiqi.profile.model import Profile

    files = sorted((Path(__file__).parents[1] / "examples").glob("*.json"))
    assert files
    for f in files:
        Profile.model_validate_json(f.read_text(encoding="utf-8"))
