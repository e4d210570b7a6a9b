"""Every door prices the same claim the same way after an administrator's change (issue 11).

A random change to the 算力券 figures (rate or yearly ceiling, from a random date) is made through the
administrators' service; then the same enterprise's claims are priced by the CLI (`huiqi evaluate`, a
separate process reading the configured database), the API, the web calculator's answer page, the
registry screen (`huiqi screen`, a separate process) and a 免申即享 offer — and confirming the offer
freezes the same amount. All must agree to the fen with each other and with the engine on the policy
from :mod:`huiqi.policies`, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import select, text

from huiqi import policies
from huiqi.batch.inputs import register_registry
from huiqi.batch.profiles import profiles_for
from huiqi.batch.screen import connect, run_rules_duckdb
from huiqi.batch.synth import generate, write
from huiqi.batch.validate import prepare
from huiqi.engine.evaluate import evaluate
from huiqi.profile.model import Profile
from huiqi.storage.models import Application, Offer
from huiqi.workflow import accounts, offers, parameters

AS_OF = dt.date(2024, 12, 31)
PROVISION = "m07.compute_voucher"


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """A synthetic registry and one enterprise of it with 算力券 claims (its profile as the batch reads it)."""
    path = tmp_path_factory.mktemp("registry")
    write(generate(6000, seed=7), path)
    policy = policies.load()
    con = connect()
    prepare(con, set(register_registry(con, path)), [p.id for p in policy.provisions()])
    run_rules_duckdb(con, policy, AS_OF, None, referral_rows=False)
    rows = con.execute("""SELECT s.entity_id FROM screened s JOIN entities_f e USING (entity_id)
                          WHERE s.provision_id = ? AND s.status = 'eligible' AND e.credit_code IS NOT NULL
                          GROUP BY 1 HAVING count(*) >= 1 ORDER BY 1""", [PROVISION]).fetchall()
    assert rows, "the synthetic registry should hold enterprises with compute-voucher claims"
    entity_id = rows[0][0]
    profile = profiles_for(con, [entity_id])[entity_id]
    con.close()
    data = json.loads(profile.model_dump_json(exclude_none=True))
    data.pop("id", None)
    return path, entity_id, data


def _url(db) -> str:
    """The database's URL for another process (PostgreSQL: the test's own schema on the search path)."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        return url.render_as_string(hide_password=False)
    with db.engine.connect() as c:
        schema = c.execute(text("SELECT current_schema()")).scalar_one()
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


def _cli(env_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HUIQI_DATABASE_URL": env_url}
    return subprocess.run([sys.executable, "-m", "huiqi.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def _random_change(seed: int) -> tuple[str, str, dt.date]:
    rng = random.Random(seed)
    day = dt.date(2024, 3, 28) + dt.timedelta(days=rng.randrange(0, 250))
    if rng.random() < 0.7:
        return "rate", f"{rng.randrange(5, 51)}%", day
    return "cap", f"{rng.randrange(10_000, 600_000)}.{rng.randrange(0, 100):02d}", day


def _amounts(results: list[dict]) -> dict[str, int | None]:
    return {r["event_id"]: r["amount_fen"] for r in results if r["provision_id"] == PROVISION and r["status"] == "eligible"}


def _web_amounts(client, app, data: dict) -> dict[str, int | None]:
    """The calculator's answer page for ``data``, read as a visitor sees it: ¥ amounts per claim card."""
    from starlette.requests import Request

    from huiqi.web.pages_calculator import encode

    token = encode(Request({"type": "http", "app": app, "headers": [], "path": "/"}), data)
    page = client.get(f"/calculator/result?p={token}&as_of={AS_OF}")
    assert page.status_code == 200
    out = {}
    for event, status, body in re.findall(r'data-provision="m07\.compute_voucher" data-event="([^"]*)" '
                                          r'data-status="([^"]*)"(.*?)</article>', page.text, flags=re.S):
        if status != "eligible":
            continue
        shown = re.search(r'data-test="amount"[^>]*>.*?¥([\d,]+\.\d\d)', body, flags=re.S)
        out[event] = int(Decimal(shown.group(1).replace(",", "")) * 100) if shown else None
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_door_prices_a_claim_the_same_after_a_random_change(db, registry, tmp_path, seed):
    from fastapi.testclient import TestClient

    from huiqi.api.app import create_app

    path, entity_id, data = registry
    parameter, value, day = _random_change(seed)
    with db.transaction() as s:
        admin = accounts.create_user(s, "adm", "a-long-password-1", "admin")
        parameters.change(s, admin, PROVISION, parameter, value, day, "differential test")
        user = accounts.create_user(s, "ent", "a-long-password-1", "applicant", credit_code=data["credit_code"])
        policy = policies.effective(s)
    profile = Profile.model_validate(data)
    expected = _amounts(evaluate(policy, profile, AS_OF).as_dict()["results"])
    base = _amounts(evaluate(policies.load(), profile, AS_OF).as_dict()["results"])
    assert expected, "the enterprise has eligible claims"
    assert policy.version != policies.load().version and policy.changes

    url = _url(db)
    # the CLI, a separate process reading the configured database, says which change it applied
    profile_file = tmp_path / "profile.json"
    profile_file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = _cli(url, "evaluate", str(profile_file), "--as-of", AS_OF.isoformat(), "--format", "json")
    assert out.returncode == 0, out.stderr
    assert f"{PROVISION}.{parameter} = {value}" in out.stderr
    cli = json.loads(out.stdout)
    assert cli["policy"]["version"] == policy.version
    assert _amounts(cli["results"]) == expected

    app = create_app(db)
    with TestClient(app) as client:
        api = client.post("/api/v1/evaluate", json={"profile": data, "as_of": AS_OF.isoformat()}).json()
        assert api["policy"]["version"] == policy.version
        assert _amounts(api["results"]) == expected
        # the measure as the API lists it shows the changed figure from its date
        listed = client.get("/api/v1/measures/m07").json()
        values = next(p for p in listed["provisions"] if p["id"] == PROVISION)["parameters"][parameter]["values"]
        assert any(v["from"] == day for v in values) or any(str(v["from"]) == day.isoformat() for v in values)
        assert _web_amounts(client, app, data) == expected

    # the registry screen, a separate process, with the same change
    screen_out = tmp_path / "screen"
    done = _cli(url, "screen", str(path), "--as-of", AS_OF.isoformat(), "--out", str(screen_out), "--no-excel")
    assert done.returncode == 0, done.stderr
    rows = duckdb.sql(f"SELECT event_id, amount_fen FROM '{screen_out / 'entitlements.parquet'}' "
                      f"WHERE entity_id = '{entity_id}' AND provision_id = '{PROVISION}' AND status = 'eligible'").fetchall()
    assert {e: int(a) for e, a in rows} == expected

    # 免申即享: the offer is priced with the change, and confirming it freezes the same amount
    with db.transaction() as s:
        offers.create_from_registry(s, Path(path), AS_OF)
        offered = {o.event_id: o for o in s.execute(select(Offer).where(Offer.credit_code == data["credit_code"],
                                                                       Offer.provision_id == PROVISION)).scalars()}
        assert {e: o.amount_fen for e, o in offered.items()} == expected
        first = sorted(offered)[0]
        app_row = offers.confirm(s, s.merge(user), offered[first].id, AS_OF)
        assert s.get(Application, app_row.id).entitlement_fen == expected[first]

    # a change applies from its date: a claim dated before it keeps the figure of the files
    dates = {c["id"]: dt.date.fromisoformat(str(c["date"])) for c in data.get("compute_claims", [])}
    for event, amount in expected.items():
        if dates[event] < day and parameter == "rate":
            assert amount == base[event], f"{event} dated {dates[event]} is before the change of {day}"
