"""What-if: a changed rate changes exactly what the calculator says it changes; pools report when they run out."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from huiqi.batch.simulate import OverrideError, simulate, with_overrides
from huiqi.catalogue import get_policy
from huiqi.cli import app
from huiqi.engine.evaluate import evaluate

POLICY = get_policy()


def test_override_makes_a_new_policy_version_and_checks_units():
    p = with_overrides(POLICY, {"m07.compute_voucher.rate": "0.40", "m07.compute_voucher_pool": "50000000"})
    assert p.version != POLICY.version
    assert p.measure("m07").provision("m07.compute_voucher").parameters["rate"].value_on(dt.date(2024, 6, 1)) == Decimal("0.40")
    assert p.measure("m07").pools[0].total == 50_000_000
    assert POLICY.measure("m07").provision("m07.compute_voucher").parameters["rate"].value_on(dt.date(2024, 6, 1)) == Decimal("0.30")
    with pytest.raises(OverrideError, match="0.30"):
        with_overrides(POLICY, {"m07.compute_voucher.rate": "30"})
    with pytest.raises(OverrideError, match="unknown"):
        with_overrides(POLICY, {"m07.compute_voucher.speed": "1"})
    with pytest.raises(OverrideError, match="fen"):
        with_overrides(POLICY, {"m03.small_to_scale_award.amount": "100000.001"})


def test_simulation_matches_the_calculator_under_the_new_rate(registry, tmp_path):
    day = dt.date(2024, 12, 31)
    sim = simulate(POLICY, registry, {"m07.compute_voucher.rate": "0.40"}, day, tmp_path / "sim")
    row = next(r for r in sim.rows if r["provision_id"] == "m07.compute_voucher")
    assert row["yuan_after"] > row["yuan_before"] and row["recipients_after"] == row["recipients_before"]
    unchanged = [r for r in sim.rows if r["provision_id"] != "m07.compute_voucher"]
    assert all(r["yuan_change"] == 0 for r in unchanged)
    # independently: the calculator with the changed policy, entity by entity, over all compute claimants
    import duckdb

    from huiqi.batch.inputs import register_registry
    from huiqi.batch.profiles import profiles_for
    from huiqi.batch.validate import prepare

    con = duckdb.connect()
    prepare(con, set(register_registry(con, registry)), [p.id for p in POLICY.provisions()])
    ids = [r[0] for r in con.execute("SELECT DISTINCT entity_id FROM ev_compute_claims").fetchall()]
    scenario = with_overrides(POLICY, {"m07.compute_voucher.rate": "0.40"})
    total = before = 0
    for profile in profiles_for(con, ids).values():
        total += sum(r.amount_fen or 0 for r in evaluate(scenario, profile, day).results
                     if r.provision_id == "m07.compute_voucher" and r.status == "eligible")
        before += sum(r.amount_fen or 0 for r in evaluate(POLICY, profile, day).results
                      if r.provision_id == "m07.compute_voucher" and r.status == "eligible")
    assert Decimal(total) / 100 == row["yuan_after"] and Decimal(before) / 100 == row["yuan_before"]
    assert (tmp_path / "sim" / "simulation.png").read_bytes()[:4] == b"\x89PNG"
    html = (tmp_path / "sim" / "simulation.html").read_text(encoding="utf-8")
    assert "算力券" in html and "data:image/png;base64," in html


def test_pool_run_out_date(registry, tmp_path):
    sim = simulate(POLICY, registry, {"m07.compute_voucher_pool": "1000000"}, dt.date(2024, 12, 31), tmp_path / "s")
    pool = next(p for p in sim.pools if p["pool_id"] == "m07.compute_voucher_pool")
    assert pool["runs_out_before"] is None and pool["demand_before"] < 30_000_000
    assert pool["runs_out_after"] is not None and dt.date(2024, 3, 28) <= pool["runs_out_after"] <= dt.date(2024, 12, 31)
    with (tmp_path / "s" / "simulation.csv").open(encoding="utf-8-sig") as f:  # Chinese headers, yuan (huiqi.exports)
        assert any(r["条款"] == "m07.compute_voucher" for r in csv.DictReader(f))


def test_cli_refuses_a_bad_set(registry, tmp_path):
    r = CliRunner().invoke(app, ["simulate", str(registry), "--set", "m07.compute_voucher.rate", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "PARAM=VALUE" in r.stderr
    r = CliRunner().invoke(app, ["simulate", str(registry), "--set", "m07.compute_voucher.rate=abc", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "not a number" in r.stderr


def test_scenario_rows_are_a_full_screen_of_the_scenario(registry):
    """The what-if recomputes only the provisions a change touches; its scenario equals screening the whole
    changed policy, row for row (a share, a fixed award and a cap in three measures)."""
    import duckdb

    from huiqi.batch.compile import screen_sql
    from huiqi.batch.inputs import register_registry
    from huiqi.batch.simulate import changed_provisions
    from huiqi.batch.validate import prepare

    day = dt.date(2024, 12, 31)
    changes = {"m07.compute_voucher.rate": "0.40", "m03.small_to_scale_award.amount": "120000",
               "m07.compute_voucher_pool": "1000000"}
    scenario = with_overrides(POLICY, changes)
    changed = changed_provisions(POLICY, scenario)
    assert changed == {"m07.compute_voucher", "m03.small_to_scale_award"}  # a pool total changes no rows
    con = duckdb.connect()
    prepare(con, set(register_registry(con, registry)), [p.id for p in POLICY.provisions()])
    con.execute("CREATE TABLE base AS " + screen_sql(POLICY, day, referral_rows=False))
    con.execute("CREATE TABLE full_scenario AS " + screen_sql(scenario, day, referral_rows=False))
    con.execute("CREATE TABLE part AS " + screen_sql(scenario, day, referral_rows=False, only=changed))
    con.execute("CREATE TABLE ids AS SELECT unnest(?::VARCHAR[]) AS provision_id", [sorted(changed)])
    shortcut = """SELECT * FROM (SELECT * FROM base WHERE provision_id NOT IN (SELECT provision_id FROM ids)
                                 UNION ALL SELECT * FROM part)"""
    only_here = con.execute(f"SELECT count(*) FROM ({shortcut} EXCEPT ALL SELECT * FROM full_scenario)").fetchone()[0]
    only_there = con.execute(f"SELECT count(*) FROM (SELECT * FROM full_scenario EXCEPT ALL {shortcut})").fetchone()[0]
    assert (only_here, only_there) == (0, 0)
    differs = con.execute("""SELECT count(*) FROM (SELECT * FROM part EXCEPT ALL SELECT * FROM base)""").fetchone()[0]
    assert differs > 0  # the changed provisions' rows did change
    con.close()
