"""The event kinds are data (huiqi/profile/events.yaml and a policy's own events.yaml): the profile model, the rule
subjects, the calculator's questions, the explanations' words, the batch tables and the synthetic registry are all
derived from that one schema — and the fictional second policy adds a kind of its own (exhibitions) as data only,
priced the same through the calculator, the CLI, the API and the batch screen."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import typing
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from huiqi import policies
from huiqi.batch import schema as batch_schema
from huiqi.profile import kinds as kinds_mod
from huiqi.profile import questions
from huiqi.profile.facts import fact_names
from huiqi.profile.model import EVENT_LISTS, Profile, event_model_of, profile_model
from huiqi.rules.loader import PolicyDataError, load_policy

FIXTURES = Path(__file__).parent / "fixtures" / "policies"
CATALOGUE = FIXTURES / "index.yaml"
SHILI = FIXTURES / "shili_2025"
CODE = "91530100MA6K000013"


@pytest.fixture(autouse=True)
def _both_policies(monkeypatch):
    monkeypatch.setenv("HUIQI_CATALOGUE", str(CATALOGUE))


def _fields(model) -> set[str]:
    return set(model.model_fields) - {"id", "date"}


# -- every derivation covers exactly the schema's kinds ------------------------------------------------------------

def test_the_core_model_questions_words_tables_and_synth_cover_exactly_the_schema():
    core = kinds_mod.core()
    assert EVENT_LISTS == core.names == Profile.event_list_names
    assert tuple(questions.FAMILY) == core.names  # the calculator's families, in the schema's order
    assert batch_schema.EVENT_TABLES == core.names
    assert batch_schema.ALL_TABLES == ("entities", *core.names, "other_support")
    from huiqi.batch.synth import generate

    kunming = policies.load("kunming_2024")
    assert tuple(generate(50, seed=1, policy=kunming)) == batch_schema.ALL_TABLES
    for kind in core.kinds:
        model = event_model_of(Profile, kind.name)
        assert model.__name__ == kind.spec.model
        assert _fields(model) == set(kind.fields), kind.name
        family = questions.FAMILY[kind.name]
        assert [q.name for q in family.questions] == kind.question_order()
        assert {q.name for q in family.questions} == {n for n, f in kind.fields.items() if f.ask}
        cols = {c.name for c in batch_schema.table_columns(kind.name)}
        assert cols == {"entity_id", "id", "date", *kind.fields}, kind.name
        _, event = fact_names(kind.name)
        assert event == {"id", "date", *kind.fields, *kind.spec.derived}
        assert event <= set(questions.EVENT_LABELS), kind.name  # every fact a rule may read has words
        assert questions.subject_words(kind.name) == (kind.spec.subject_zh, kind.spec.subject_en)


def test_field_types_defaults_and_limits_follow_the_schema():
    for kind in kinds_mod.core().kinds:
        model = event_model_of(Profile, kind.name)
        columns = {c.name: c for c in batch_schema.table_columns(kind.name)}
        for name, spec in kind.fields.items():
            field, column = model.model_fields[name], columns[name]
            assert field.is_required() == spec.required == column.required, (kind.name, name)
            expected = {"credit_code": "credit_code", "enum": "enum"}.get(spec.type, spec.type)
            assert column.kind == expected, (kind.name, name)
            if spec.type == "enum":
                assert column.allowed == tuple(spec.values)
            if spec.default is not None:
                assert field.default == spec.default and column.default == spec.default
            if spec.optional:
                assert field.default is None and type(None) in typing.get_args(field.annotation)


def test_the_derived_model_keeps_the_validation_rules():
    """Money exact to the fen and not negative, ratios within 0..1, Literal values, limits: each refusal names its
    field — as the hand-written model did."""
    base = {"kind": "enterprise", "name": "示例", "credit_code": CODE}
    cases = [
        ({"compute_claims": [{"date": "2024-05-01", "category": "compute_rental", "spend": "-1"}]}, ("compute_claims", 0, "spend"), "负数"),
        ({"compute_claims": [{"date": "2024-05-01", "category": "compute_rental", "spend": "1.001"}]}, ("compute_claims", 0, "spend"), "分"),
        ({"compute_claims": [{"date": "2024-05-01", "category": "rent", "spend": "1"}]}, ("compute_claims", 0, "category"), "compute_rental"),
        ({"guarantees": [{"date": "2024-05-01", "amount": "1", "fee_rate": "1.5"}]}, ("guarantees", 0, "fee_rate"), "0到1"),
        ({"home_purchases": [{"date": "2024-05-01", "first_home": True, "provident_fund_depositor": True, "children": 21}]},
         ("home_purchases", 0, "children"), "20"),
        ({"guarantees": [{"date": "2024-05-01", "amount": "1", "fee_rate": "0.01", "client_credit_code": "91530100MA6K000014"}]},
         ("guarantees", 0, "client_credit_code"), ""),
        ({"vehicles": [{"date": "2024-02-30", "price_incl_vat": "1", "new_energy": True}]}, ("vehicles", 0, "date"), ""),
    ]
    for extra, loc, words in cases:
        with pytest.raises(ValidationError) as e:
            Profile.model_validate({**base, **extra})
        err = e.value.errors()[0]
        assert err["loc"] == loc and words in err["msg"], (loc, err)
    ok = Profile.model_validate({**base, "vehicles": [{"date": "2024-05-01", "price_incl_vat": "150000.10", "new_energy": True}]})
    assert ok.vehicles[0].vat_rate == Decimal("0.13") and ok.vehicles[0].passenger_car is True


# -- a policy's own kind ----------------------------------------------------------------------------------------------

def test_a_policy_model_is_the_core_plus_its_own_kinds():
    shili, kunming = policies.load("shili_2025"), policies.load("kunming_2024")
    assert profile_model(kunming) is Profile
    model = profile_model(shili)
    assert model.event_list_names == (*EVENT_LISTS, "exhibitions")
    assert [k.name for k in shili.kinds.own()] == ["exhibitions"]
    exhibition = event_model_of(model, "exhibitions")
    assert _fields(exhibition) == {"fair_name", "location", "on_key_fair_list", "booth_fee"}
    data = {"kind": "enterprise", "name": "示例展览公司", "credit_code": CODE,
            "exhibitions": [{"date": "2025-05-10", "location": "domestic", "on_key_fair_list": True, "booth_fee": "30000"}]}
    assert model.model_validate(data).exhibitions[0].booth_fee == Decimal("30000")
    with pytest.raises(ValidationError) as e:  # the core profile (and so the 2024 notice) has no such list
        Profile.model_validate(data)
    assert e.value.errors()[0]["loc"] == ("exhibitions",)
    bad = {**data, "exhibitions": [{**data["exhibitions"][0], "booth_fee": "10.005", "location": "moon"}]}
    with pytest.raises(ValidationError) as e:
        model.model_validate(bad)
    assert {err["loc"] for err in e.value.errors()} == {("exhibitions", 0, "booth_fee"), ("exhibitions", 0, "location")}
    # the words: families of the policy, its subject, the labels and coded values in explanations
    families = questions.families_for(shili)
    assert families[-1].name == "exhibitions" and families[-1].date_zh == "展会开幕日期"
    assert [q.name for q in families[-1].questions] == ["fair_name", "location", "on_key_fair_list", "booth_fee"]
    assert questions.fact_label("event.on_key_fair_list") == "列入区商务局重点展会目录"
    assert questions.fact_value("domestic", "en") == "in China"
    assert questions.subject_words("exhibitions") == ("参展记录", "trade fairs attended")
    assert "exhibitions" not in questions.FAMILY  # the core families are the core's


def test_the_loader_accepts_only_the_policys_kinds_as_subjects(tmp_path):
    folder = tmp_path / "shili_2025"
    shutil.copytree(SHILI, folder)
    (folder / "events.yaml").unlink()  # without its events.yaml the notice has no exhibitions: m05 is refused
    with pytest.raises(PolicyDataError, match=r"measures/m05.yaml: m05.exhibition_booth_subsidy: subject: 'exhibitions'"):
        load_policy(folder)


@pytest.mark.parametrize("change,message", [
    (lambda t: t.replace("type: money", "type: currency"), r"events.yaml: kinds.exhibitions.fields.booth_fee.type"),
    (lambda t: t.replace("  exhibitions:\n    model: Exhibition", "  vehicles:\n    model: Exhibition"),
     r"kinds.vehicles: list 'vehicles' is already taken"),
    (lambda t: t.replace("model: Exhibition", "model: Vehicle"), r"model 'Vehicle' is already taken"),
    (lambda t: t.replace("booth_fee: {money: [3000, 150000]}", "booth_fees: {money: [3000, 150000]}"),
     r"synth.values: no such field"),
    (lambda t: t.replace("          overseas: [境外, abroad]\n", ""), r""),  # still valid: one value fewer
])
def test_a_broken_events_file_is_refused_naming_the_field(tmp_path, change, message):
    folder = tmp_path / "shili_2025"
    shutil.copytree(SHILI, folder)
    path = folder / "events.yaml"
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    if not message:
        model = profile_model(load_policy(folder))
        row = {"date": "2025-05-10", "location": "overseas", "on_key_fair_list": True, "booth_fee": "1"}
        with pytest.raises(ValidationError):
            model.model_validate({"kind": "individual", "name": "张三", "exhibitions": [row]})
        return
    with pytest.raises(PolicyDataError, match=message):
        load_policy(folder)


def test_the_version_changes_with_the_policys_kinds(tmp_path):
    folder = tmp_path / "shili_2025"
    shutil.copytree(SHILI, folder)
    before = load_policy(folder).version
    path = folder / "events.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("share: 0.01", "share: 0.02"), encoding="utf-8")
    assert load_policy(folder).version != before


# -- the same claim through every door ------------------------------------------------------------------------------

EXHIBITING = {"kind": "enterprise", "name": "示例展览公司", "credit_code": CODE, "industry": "3435", "size_class": "small",
              "exhibitions": [{"id": "x1", "date": "2025-05-10", "location": "domestic", "on_key_fair_list": True, "booth_fee": "30000"},
                              {"id": "x2", "date": "2025-06-10", "location": "overseas", "on_key_fair_list": True, "booth_fee": "90000"},
                              {"id": "x3", "date": "2025-09-10", "location": "overseas", "on_key_fair_list": True, "booth_fee": "90000"}]}
AS_OF = dt.date(2025, 12, 31)
EXPECTED = {"x1": 1_500_000, "x2": 2_000_000, "x3": 1_500_000}  # 50 %, 20,000 a fair, 50,000 a year


def _m05(results) -> dict[str, int | None]:
    return {r["event_id"]: r["amount_fen"] for r in results if r["provision_id"] == "m05.exhibition_booth_subsidy"}


def test_calculator_cli_and_api_price_the_new_kind_alike(tmp_path):
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from huiqi.api.app import create_app
    from huiqi.cli import app
    from huiqi.engine.evaluate import evaluate

    shili = policies.load("shili_2025")
    python = evaluate(shili, profile_model(shili).model_validate(EXHIBITING), AS_OF).as_dict()["results"]
    assert _m05(python) == EXPECTED

    path = tmp_path / "profile.json"
    path.write_text(json.dumps(EXHIBITING, ensure_ascii=False), encoding="utf-8")
    out = CliRunner().invoke(app, ["evaluate", str(path), "--policy", "shili_2025", "--as-of", AS_OF.isoformat(), "--format", "json"])
    assert out.exit_code == 0, out.output
    assert _m05(json.loads(out.stdout)["results"]) == EXPECTED
    refused = CliRunner().invoke(app, ["evaluate", str(path), "--as-of", "2024-10-01"])  # the 2024 notice has no such list
    assert refused.exit_code == 2 and "exhibitions" in refused.stderr

    client = TestClient(create_app())
    r = client.post("/api/v1/evaluate", json={"profile": EXHIBITING, "as_of": AS_OF.isoformat(), "policy": "shili_2025"})
    assert r.status_code == 200, r.text
    assert _m05(r.json()["results"]) == EXPECTED
    bad = {**EXHIBITING, "exhibitions": [{**EXHIBITING["exhibitions"][0], "booth_fee": "-5"}]}
    r = client.post("/api/v1/evaluate", json={"profile": bad, "policy": "shili_2025"})
    assert r.status_code == 422
    assert "body.profile.exhibitions.0.booth_fee" in json.dumps(r.json(), ensure_ascii=False)
    message = r.json()["error"]["message_zh"]  # named by its question, never by the field's name
    assert "参加展会（展位费）第1项 · 实际缴纳展位费（元）" in message and "exhibitions" not in message, message
    r = client.post("/api/v1/evaluate", json={"profile": EXHIBITING})  # the default policy: refused, field named
    assert r.status_code == 422 and "exhibitions" in json.dumps(r.json(), ensure_ascii=False)

    schema = client.get("/api/v1/schema/profile", params={"policy": "shili_2025"}).json()
    assert "exhibitions" in schema["properties"] and "Exhibition" in schema["$defs"]
    assert "exhibitions" not in client.get("/api/v1/schema/profile").json()["properties"]
    assert client.get("/api/v1/schema/profile", params={"policy": "nope"}).status_code == 404
    cli_schema = json.loads(CliRunner().invoke(app, ["schema", "profile", "--policy", "shili_2025"]).stdout)
    assert cli_schema == schema


def test_synth_and_the_batch_screen_carry_the_new_kind(tmp_path):
    """``huiqi synth --policy shili_2025`` draws exhibitions within the notice's period; ``huiqi screen`` prices them
    as the calculator does, entity by entity."""
    from typer.testing import CliRunner

    import pyarrow.parquet as pq

    from huiqi.batch.compile import batch_visible
    from huiqi.batch.inputs import register_registry
    from huiqi.batch.profiles import profiles_for
    from huiqi.batch.screen import connect, run_rules_duckdb
    from huiqi.batch.validate import prepare
    from huiqi.cli import app
    from huiqi.engine.evaluate import evaluate
    from huiqi.engine.plan import plan_for

    shili = policies.load("shili_2025")
    registry = tmp_path / "registry"
    out = CliRunner().invoke(app, ["synth", "--n", "6000", "--seed", "7", "--out", str(registry), "--policy", "shili_2025"])
    assert out.exit_code == 0, out.output
    rows = pq.read_table(registry / "exhibitions.parquet").to_pylist()
    assert rows and {r["location"] for r in rows} == {"domestic", "overseas"}
    period = shili.header.general.in_force
    assert min(r["date"] for r in rows) >= period.start - dt.timedelta(days=60)
    assert max(r["date"] for r in rows) <= period.end + dt.timedelta(days=30)

    con = connect()
    prepare(con, set(register_registry(con, registry, shili)), [p.id for p in shili.provisions()], shili)
    run_rules_duckdb(con, shili, AS_OF, None)
    plans = {pl.provision.id: pl for pl in plan_for(shili)}
    ids = [r[0] for r in con.execute("SELECT DISTINCT entity_id FROM ev_exhibitions ORDER BY 1 LIMIT 150").fetchall()]
    assert ids
    eligible = con.execute("SELECT count(*) FROM screened WHERE provision_id = 'm05.exhibition_booth_subsidy' "
                           "AND status = 'eligible'").fetchone()[0]
    assert eligible > 0
    batch: dict[str, set] = {}
    for r in con.execute("SELECT entity_id, provision_id, event_id, status, amount_fen, is_cap, explanation_key "
                         "FROM screened WHERE entity_id IN (SELECT unnest(?))", [ids]).fetchall():
        batch.setdefault(r[0], set()).add(tuple(r[1:]))
    profiles = profiles_for(con, ids, shili)
    assert any(p.exhibitions for p in profiles.values())
    for eid in ids:
        mine = {(x.provision_id, x.event_id, x.status, x.amount_fen, x.is_cap, x.explanation_key)
                for x in evaluate(shili, profiles[eid], AS_OF).results if batch_visible(x, plans[x.provision_id])}
        assert mine == batch.get(eid, set()), eid
    con.close()

    screened = tmp_path / "screen"
    out = CliRunner().invoke(app, ["screen", str(registry), "--policy", "shili_2025", "--as-of", AS_OF.isoformat(),
                                   "--out", str(screened)])
    assert out.exit_code == 0, out.output
    summary = (screened / "summary_by_measure.csv").read_text(encoding="utf-8")
    assert "m05.exhibition_booth_subsidy" in summary


def test_a_bad_exhibitions_row_is_rejected_naming_its_field(tmp_path):
    """A CSV registry for the new kind is typed and checked by the same schema: a sub-fen booth fee and an unknown
    location are rejected with the field named, the good row is screened."""
    from huiqi.batch.inputs import register_registry
    from huiqi.batch.screen import connect
    from huiqi.batch.validate import prepare

    shili = policies.load("shili_2025")
    (tmp_path / "entities.csv").write_text(f"entity_id,kind,name,credit_code,size_class\nE1,enterprise,示例,{CODE},small\n",
                                          encoding="utf-8")
    (tmp_path / "exhibitions.csv").write_text(
        "entity_id,id,date,location,on_key_fair_list,booth_fee\n"
        "E1,x1,2025-05-10,domestic,true,30000\nE1,x2,2025-05-11,domestic,true,10.005\nE1,x3,2025-05-12,moon,true,100\n",
        encoding="utf-8")
    con = connect()
    prepare(con, set(register_registry(con, tmp_path, shili)), [p.id for p in shili.provisions()], shili)
    rejects = con.execute("SELECT \"table\", \"row\", reason FROM rejects ORDER BY 2").fetchall()
    assert [(t, r) for t, r, _ in rejects] == [("exhibitions", 3), ("exhibitions", 4)]
    assert rejects[0][2].startswith("booth_fee") and rejects[1][2].startswith("location")
    assert con.execute("SELECT id FROM ev_exhibitions").fetchall() == [("x1",)]
    con.close()


def test_synth_is_free_of_any_policy(tmp_path, monkeypatch):
    """Districts, names and the support already received come from the policy folder's synth.yaml; without one,
    every district of the divisions table; a synth.yaml naming a provision the policy lacks is refused."""
    from huiqi.batch.synth import SynthError, generate, synth_data
    from huiqi.standards.divisions import districts

    kunming, shili = policies.load("kunming_2024"), policies.load("shili_2025")
    data = synth_data(kunming)
    tables = generate(20000, seed=3, policy=kunming)
    assert set(tables["entities"]["district"].to_pylist()) <= set(data.districts)
    support = tables["other_support"].to_pylist()
    assert support and {s["provision"] for s in support} == {s.provision for s in data.other_support}
    assert all(n.startswith(data.name_prefix) or n.startswith("个人") for n in tables["entities"]["name"].to_pylist())

    other = generate(3000, seed=3, policy=shili)  # no synth.yaml: every current district, no support rows
    assert set(other["entities"]["district"].to_pylist()) <= {d.code for d in districts()}
    assert other["other_support"].num_rows == 0 and "exhibitions" in other

    from huiqi.batch import synth

    bad = tmp_path / "synth.yaml"
    bad.write_text("other_support:\n  - {provision: m09.nothing_here, subject: recognitions, share: 0.5, levels: [provincial],"
                   " amount: [1, 2]}\n", encoding="utf-8")
    monkeypatch.setattr(synth, "synth_file", lambda policy: bad)
    with pytest.raises(SynthError, match=r"synth.yaml: other_support\[0\].provision: 'm09.nothing_here'"):
        synth_data(kunming)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    """The workflow database on SQLite and on PostgreSQL (a fresh schema, dropped afterwards)."""
    import os
    import uuid

    from sqlalchemy import create_engine, text

    from huiqi.storage.db import Database

    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path}/huiqi.db")
        database.create_all()
        yield database
        database.engine.dispose()
        return
    url = os.environ.get("HUIQI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    admin = create_engine(url)
    schema = "k_" + uuid.uuid4().hex[:12]
    try:
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as e:  # noqa: BLE001
        if os.environ.get("HUIQI_REQUIRE_PG") == "1":
            pytest.fail(f"PostgreSQL is required: {e}")
        pytest.skip("no PostgreSQL server answers")
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    database = Database(engine=engine)
    database.create_all()
    yield database
    engine.dispose()
    with admin.begin() as c:
        c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_the_web_calculator_asks_about_the_policys_own_kind(db, monkeypatch):
    """The wizard of the fictional notice offers its exhibitions (with their own questions and date words) and
    prices them; the 2024 notice's wizard does not offer them."""
    import re

    from fastapi.testclient import TestClient

    from huiqi.api.app import create_app

    monkeypatch.setenv("HUIQI_TODAY", "2025-06-01")
    with TestClient(create_app(db)) as client:
        wizard = client.get("/calculator?measure=m05&policy=shili_2025&step=2").text
        assert 'data-family="exhibitions"' in wizard and "展会开幕日期" in wizard and "列入区商务局重点展会目录" in wizard
        assert 'value="exhibitions" data-toggle="fam-exhibitions" checked' in wizard  # the measure's kind is ticked
        assert 'data-family="exhibitions"' not in client.get("/calculator?step=2").text
        form = {"kind": "enterprise", "name": "示例展览公司", "credit_code": CODE, "size_class": "small",
                "policy": "shili_2025", "families": "exhibitions", "exhibitions-n": "1",
                "exhibitions-0-date": "2025-05-10", "exhibitions-0-location": "domestic",
                "exhibitions-0-on_key_fair_list": "yes", "exhibitions-0-booth_fee": "30,000", "action": "calc"}
        r = client.post("/calculator", data=form, follow_redirects=False)
        assert r.status_code == 303, r.text[:500]
        check = client.get(r.headers["location"]).text  # 核对信息, then the results
        answer = client.get(re.search(r'href="([^"]+)" data-test="confirm"', check).group(1).replace("&amp;", "&")).text
        assert "参展展位费补助" in answer and re.search(r'data-test="total">¥15,000.00<', answer)
        bad = {**form, "exhibitions-0-booth_fee": "-1"}
        refused = client.post("/calculator", data=bad)
        shown = re.sub(r"<[^>]*>", "", refused.text)  # what a person reads: the field's words, not its name
        assert refused.status_code == 200 and "实际缴纳展位费（元）：金额不能为负数" in shown.replace("\n", "")
        assert "exhibitions" not in shown and "booth_fee" not in shown


def test_the_new_kinds_case_file_through_the_batch_path(tmp_path):
    """Every case of tests/cases/shili_2025/m05.yaml as a registry (one entity per case, its exhibitions a CSV
    table): the screen gives each expected status and amount, and the calculator's rows."""
    import csv

    from huiqi.batch.compile import batch_visible
    from huiqi.batch.inputs import register_registry
    from huiqi.batch.screen import connect, run_rules_duckdb
    from huiqi.batch.validate import prepare
    from huiqi.engine.cases import load_cases
    from huiqi.engine.evaluate import evaluate
    from huiqi.engine.plan import plan_for

    shili = policies.load("shili_2025")
    model, plans = profile_model(shili), {pl.provision.id: pl for pl in plan_for(shili)}
    cases = load_cases(Path(__file__).parent / "cases" / "shili_2025" / "m05.yaml").cases
    con = connect()
    for n, case in enumerate(cases):
        folder = tmp_path / f"case{n}"
        folder.mkdir()
        tables: dict[str, list[dict]] = {t: [] for t in batch_schema.all_tables(shili)}
        profile = case.profile
        tables["entities"].append({k: v for k, v in profile.items() if k not in model.event_list_names} | {"entity_id": "E1"})
        for t in model.event_list_names:
            tables[t] += [{**row, "entity_id": "E1"} for row in profile.get(t) or []]
        for table, rows in tables.items():
            cols = [c.name for c in batch_schema.table_columns(table, shili)]
            with (folder / f"{table}.csv").open("w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(cols)
                for r in rows:
                    w.writerow(["" if r.get(c) is None else str(r.get(c)).lower() if isinstance(r.get(c), bool)
                                else str(r.get(c)) for c in cols])
        prepare(con, set(register_registry(con, folder, shili)), [p.id for p in shili.provisions()], shili)
        assert con.execute("SELECT count(*) FROM rejects").fetchone()[0] == 0, case.name
        run_rules_duckdb(con, shili, case.as_of, case.strategy)
        got = {(pid, ev): (status, fen) for pid, ev, status, fen in con.execute(
            "SELECT provision_id, event_id, status, amount_fen FROM screened").fetchall()}
        for key, exp in case.expect.items():
            pid, _, ev = key.partition("@")
            status, fen = got.get((pid, ev or None), ("not_eligible", None))  # not shown: not eligible
            if exp.status:
                assert status == exp.status, (case.name, key)
            if exp.amount is not None:
                assert fen == int(exp.amount * 100), (case.name, key)
            if exp.no_amount:
                assert not fen, (case.name, key)
        mine = {(x.provision_id, x.event_id): (x.status, x.amount_fen)
                for x in evaluate(shili, model.model_validate(profile), case.as_of, case.strategy).results
                if batch_visible(x, plans[x.provision_id])}
        assert mine == got, case.name
    con.close()
