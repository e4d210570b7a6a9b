"""Two policies served at once (issue 11, part 5): the 2024 notice and a fictional 2025 one that was added
as data only (tests/fixtures/policies/shili_2025, its case files under tests/cases/shili_2025, and the
tests' index). Catalogue, search, calculator (CLI and API) and the registry screen all serve both, and the
screen agrees with the calculator entity by entity for the second policy too."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from huiqi import policies

CATALOGUE = Path(__file__).parent / "fixtures" / "policies" / "index.yaml"
AS_OF = dt.date(2025, 12, 31)


@pytest.fixture(autouse=True)
def _both(monkeypatch):
    monkeypatch.setenv("HUIQI_CATALOGUE", str(CATALOGUE))


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HUIQI_CATALOGUE": str(CATALOGUE), "HUIQI_TODAY": "2025-06-01"}
    env.pop("HUIQI_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "huiqi.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300, cwd=Path(__file__).parent)


def test_the_catalogue_serves_both_and_the_default_first():
    assert policies.ids() == ["kunming_2024", "shili_2025"]
    assert policies.load().header.id == "kunming_2024"
    assert len(policies.load("shili_2025").measures) == len(list((CATALOGUE.parent / "shili_2025" / "measures").glob("m*.yaml")))
    with pytest.raises(policies.UnknownPolicy, match="kunming_2024、shili_2025"):
        policies.load("nope")


def test_policies_list_shows_each_with_its_status_on_the_day():
    out = _cli("policies", "list", "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = {r["id"]: r for r in json.loads(out.stdout)}
    assert rows["kunming_2024"]["status"]["code"] == "expired" and rows["kunming_2024"]["default"]
    assert rows["shili_2025"]["status"]["label_zh"] == "施行中" and not rows["shili_2025"]["default"]
    table = _cli("policies", "list")
    assert "已失效" in table.stdout and "施行中" in table.stdout


def test_cli_evaluates_and_searches_the_chosen_policy(tmp_path):
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"kind": "individual", "name": "张三", "vehicles": [
        {"id": "v1", "date": "2025-05-01", "price_incl_vat": "150000.00", "new_energy": True}]}, ensure_ascii=False))
    out = _cli("evaluate", str(profile), "--policy", "shili_2025", "--format", "json")
    answer = json.loads(out.stdout)
    assert answer["policy"]["id"] == "shili_2025" and answer["as_of"] == "2025-06-01"  # today: in force
    award = next(r for r in answer["results"] if r["provision_id"] == "m03.nev_consumption_subsidy")
    assert award["status"] == "eligible" and award["amount_fen"] == 200_000
    found = json.loads(_cli("search", "算力", "--policy", "shili_2025", "--format", "json").stdout)
    assert found["results"][0]["id"] == "m01"
    refused = _cli("measures", "list", "--policy", "nope")
    assert refused.returncode == 2 and "未知的政策" in refused.stderr


def test_api_serves_both(tmp_path):
    from fastapi.testclient import TestClient

    from huiqi.api.app import create_app
    from huiqi.storage.db import Database

    db = Database(f"sqlite:///{tmp_path}/huiqi.db")
    db.create_all()
    with TestClient(create_app(db)) as client:
        listed = {p["id"]: p for p in client.get("/api/v1/policies").json()}
        assert set(listed) == {"kunming_2024", "shili_2025"} and listed["kunming_2024"]["default"]
        shili_ids = sorted(p.stem for p in (CATALOGUE.parent / "shili_2025" / "measures").glob("m*.yaml"))
        assert [m["id"] for m in client.get("/api/v1/measures?policy=shili_2025").json()] == shili_ids
        assert len(client.get("/api/v1/measures").json()) == 30  # the default policy
        missing = client.get("/api/v1/measures/m07?policy=shili_2025")
        assert missing.status_code == 404 and f"{shili_ids[0]}–{shili_ids[-1]}" in missing.json()["error"]["message_zh"]
        unknown = client.get("/api/v1/measures?policy=nope")
        assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "policy"
        hits = client.get("/api/v1/search", params={"q": "新能源汽车", "policy": "shili_2025"}).json()["results"]
        assert hits[0]["id"] == "m03"
        body = {"policy": "shili_2025", "as_of": "2025-06-30", "profile": {
            "kind": "enterprise", "name": "示例算力公司", "credit_code": "91530100MA6K000013", "industry": "6513",
            "compute_claims": [{"id": "c1", "date": "2025-06-01", "category": "compute_rental", "spend": "1000000.00"}],
            "other_support": [{"provision": "m01.compute_subsidy", "level": "municipal", "amount": "60000.00",
                               "event_id": "c1"}]}}
        answer = client.post("/api/v1/evaluate", json=body).json()
        # the suite runs on 2024-12-31 (tests/conftest.py): the 2025 notice is not yet in force, and says so
        assert answer["policy"]["id"] == "shili_2025" and answer["policy_status"]["code"] == "not_yet"
        subsidy = next(r for r in answer["results"] if r["provision_id"] == "m01.compute_subsidy")
        assert subsidy["amount_fen"] == 4_000_000  # 10 % of 1,000,000 less the city's 60,000 (就高不重复)


def test_screen_of_the_second_policy_agrees_with_its_calculator(tmp_path):
    """The batch screen of the fictional policy equals the calculator entity by entity, on the day before it
    takes effect, its first day and its last (the synthetic events run from 2024 into March 2025)."""
    from huiqi.batch.compile import batch_visible
    from huiqi.batch.inputs import register_registry
    from huiqi.batch.profiles import profiles_for
    from huiqi.batch.screen import connect, run_rules_duckdb
    from huiqi.batch.synth import generate, write
    from huiqi.batch.validate import prepare
    from huiqi.engine.evaluate import evaluate
    from huiqi.engine.plan import plan_for

    policy = policies.load("shili_2025")
    plans = {pl.provision.id: pl for pl in plan_for(policy)}
    registry = tmp_path / "registry"
    write(generate(8000, seed=25), registry)
    con = connect()
    prepare(con, set(register_registry(con, registry)), [p.id for p in policy.provisions()])
    for day in (dt.date(2025, 2, 28), dt.date(2025, 3, 1), AS_OF):
        run_rules_duckdb(con, policy, day, None)
        ids = [r[0] for r in con.execute("""SELECT entity_id FROM ev_compute_claims UNION SELECT entity_id FROM ev_vehicles
                                           UNION SELECT entity_id FROM ev_scale_entries ORDER BY 1 LIMIT 400""").fetchall()]
        assert ids
        batch: dict[str, set] = {}
        for r in con.execute("SELECT entity_id, provision_id, event_id, status, amount_fen, is_cap, explanation_key "
                             "FROM screened WHERE entity_id IN (SELECT unnest(?))", [ids]).fetchall():
            batch.setdefault(r[0], set()).add(tuple(r[1:]))
        profiles = profiles_for(con, ids)
        for eid in ids:
            mine = {(x.provision_id, x.event_id, x.status, x.amount_fen, x.is_cap, x.explanation_key)
                    for x in evaluate(policy, profiles[eid], day).results if batch_visible(x, plans[x.provision_id])}
            assert mine == batch.get(eid, set()), (day, eid)
        if day == AS_OF:  # entries into the statistics before 2025-03-01 are outside the fictional notice's window
            outside = con.execute("SELECT count(*) FROM screened WHERE provision_id = 'm02.first_entry_award' AND "
                                  "explanation_key = 'not_eligible:failed:entered_while_in_force'").fetchone()[0]
            assert outside > 0
    con.close()


def test_pages_serve_both(tmp_path, monkeypatch):
    """The pages: the list of notices with their state, each notice's catalogue, measure pages and search, and
    the calculator carrying the chosen notice from the wizard to the answer."""
    import re

    from fastapi.testclient import TestClient

    from huiqi.api.app import create_app
    from huiqi.storage.db import Database

    monkeypatch.setenv("HUIQI_TODAY", "2025-06-01")  # the fictional notice in force, the 2024 one expired
    db = Database(f"sqlite:///{tmp_path}/huiqi.db")
    db.create_all()
    with TestClient(create_app(db)) as client:
        listed = client.get("/policies").text
        assert re.search(r'data-policy="kunming_2024" data-status="expired"', listed)
        assert re.search(r'data-policy="shili_2025" data-status="in_force"', listed)
        assert 'href="/?policy=shili_2025"' in listed
        home = client.get("/?policy=shili_2025").text
        assert "示例区2025年促进数字经济和消费若干措施" in home and 'href="/measures/m01?policy=shili_2025"' in home
        assert "持续推动经济回升向好若干政策措施" in client.get("/").text  # the default notice as before
        measure = client.get("/measures/m03?policy=shili_2025").text
        assert "每辆给予2000元消费补贴" in measure and "/calculator?measure=m03&amp;policy=shili_2025" in measure
        assert client.get("/measures/m07?policy=shili_2025").status_code == 404
        assert client.get("/?policy=nope").status_code == 404
        assert 'href="/measures/m01?policy=shili_2025"' in client.get("/search?q=算力&policy=shili_2025").text
        # the calculator: the notice rides along as a hidden field and in the answer's address
        wizard = client.get("/calculator?measure=m03&policy=shili_2025").text
        assert 'name="policy" value="shili_2025"' in wizard
        form = {"kind": "individual", "name": "李四", "policy": "shili_2025", "families": "vehicles", "vehicles-n": "1",
                "vehicles-0-date": "2025-05-02", "vehicles-0-price_incl_vat": "120000", "vehicles-0-new_energy": "yes",
                "action": "calc"}
        check_url = client.post("/calculator", data=form, follow_redirects=False).headers["location"]
        assert check_url.startswith("/calculator/check?") and check_url.endswith("&policy=shili_2025")  # 核对信息
        answer_url = re.search(r'href="([^"]+)" data-test="confirm"', client.get(check_url).text).group(1).replace("&amp;", "&")
        assert answer_url.endswith("&policy=shili_2025")
        answer = client.get(answer_url).text
        assert re.search(r'data-test="total">¥2,000.00<', answer) and "政策状态：施行中" in answer
        assert 'name="policy" value="shili_2025"' in answer  # the apply form applies under this notice


def test_an_administrator_changes_a_figure_of_one_policy_only(tmp_path):
    from fastapi.testclient import TestClient

    from huiqi.api.app import create_app
    from huiqi.storage.db import Database
    from huiqi.workflow import accounts

    db = Database(f"sqlite:///{tmp_path}/huiqi.db")
    db.create_all()
    with db.transaction() as s:
        accounts.create_user(s, "adm", "a-long-password-1", "admin")
    with TestClient(create_app(db), base_url="https://testserver") as client:
        csrf = client.post("/api/v1/auth/login", json={"username": "adm", "password": "a-long-password-1"}).json()["csrf_token"]
        page = client.get("/admin/parameters?policy=shili_2025").text
        assert 'name="policy" value="shili_2025"' in page and 'data-test="policy-switch"' in page
        done = client.post("/admin/parameters", follow_redirects=False, data={
            "csrf_token": csrf, "policy": "shili_2025", "key": "m01.compute_subsidy:rate", "value": "15%",
            "effective_from": "2025-07-01", "reason": "区财政调整"})
        assert done.status_code == 303 and "policy=shili_2025" in done.headers["location"]
        values = client.get("/api/v1/measures/m01?policy=shili_2025").json()["provisions"][0]["parameters"]["rate"]["values"]
        assert [(v["from"], v["display"]) for v in values] == [("2025-03-01", "10%"), ("2025-07-01", "15%")]
        assert "data-change=" not in client.get("/admin/parameters").text  # the default policy's history is untouched
        body = {"policy": "shili_2025", "as_of": "2025-07-31", "profile": {
            "kind": "enterprise", "name": "示例算力公司", "credit_code": "91530100MA6K000013", "industry": "6513",
            "compute_claims": [{"id": "c1", "date": "2025-07-15", "category": "compute_rental", "spend": "100000.00"}]}}
        result = client.post("/api/v1/evaluate", json=body).json()
        assert next(r for r in result["results"] if r["provision_id"] == "m01.compute_subsidy")["amount_fen"] == 1_500_000


def test_the_dashboard_of_each_policy(tmp_path):
    """Each notice's dashboard shows its own pools and targets; an unknown one is a 404 page."""
    from fastapi.testclient import TestClient

    from huiqi.api.app import create_app
    from huiqi.storage.db import Database

    db = Database(f"sqlite:///{tmp_path}/huiqi.db")
    db.create_all()
    with TestClient(create_app(db)) as client:
        own = client.get("/dashboard?policy=shili_2025")
        assert own.status_code == 200 and 'data-pool="shili_2025/m01.compute_subsidy_pool"' in own.text
        assert "kunming_2024/" not in own.text and 'href="/dashboard.xlsx?policy=shili_2025"' in own.text
        default = client.get("/dashboard").text
        assert 'data-pool="kunming_2024/m07.compute_voucher_pool"' in default and "shili_2025/" not in default
        assert client.get("/dashboard?policy=nope").status_code == 404
        assert client.get("/dashboard.xlsx?policy=shili_2025").status_code == 200
