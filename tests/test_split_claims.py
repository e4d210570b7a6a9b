"""Splitting a spend into many claims never pays more than claiming it once (issue 13): the text pays
"按实际支出费用给予30%补助，每年最高50万元" — a share of the year's spending, so it is rounded once per
enterprise-year, not once per claim.

The ``round_once`` step (huiqi/engine/steps.py) gives each claim its part of the year's exact total: fen(total up
to the claim) − fen(total before it). Twenty claims of ¥0.05 pay 30 fen, as one claim of ¥1.00 does (per claim
they paid 40: 0.015 → 0.02 twenty times). Checked here in the calculator for any split, and through the batch
query (DuckDB) for the split that used to pay 40 %.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from huiqi.batch.inputs import register_registry
from huiqi.batch.schema import ALL_TABLES, ENTITY_TABLE, table_columns
from huiqi.batch.screen import connect, run_rules_duckdb
from huiqi.batch.validate import prepare
from huiqi.catalogue import get_policy
from huiqi.engine.evaluate import evaluate
from huiqi.engine.steps import to_fen
from huiqi.profile.model import Profile

POLICY = get_policy()
PROVISION = "m07.compute_voucher"
AS_OF = dt.date(2024, 12, 31)
PARAMS = POLICY.measure("m07").provision(PROVISION).parameters
RATE, CAP = Decimal(str(PARAMS["rate"].value_on(AS_OF))), Decimal(str(PARAMS["cap"].value_on(AS_OF)))
CREDIT = "91530100MA6K3YXF8W"


def _claims(spends: list[Decimal], days: list[dt.date] | None = None) -> list[dict]:
    days = days or [dt.date(2024, 5, 1)] * len(spends)
    return [{"id": f"c{i:02d}", "date": d, "category": "model_service", "spend": s}
            for i, (s, d) in enumerate(zip(spends, days))]


def _results(spends: list[Decimal], days: list[dt.date] | None = None):
    profile = Profile.model_validate({"kind": "enterprise", "name": "拆分测试企业", "credit_code": CREDIT,
                                      "industry": "6513", "compute_claims": _claims(spends, days)})
    return [r for r in evaluate(POLICY, profile, AS_OF).results if r.provision_id == PROVISION]


def _paid(spends: list[Decimal], days: list[dt.date] | None = None) -> int:
    return sum(r.amount_fen or 0 for r in _results(spends, days) if r.status == "eligible")


def _once(total_spend: Decimal) -> int:
    """The rule itself: the year's spending times the rate, rounded once, within the yearly ceiling."""
    return min(to_fen(RATE * total_spend), to_fen(CAP))


def test_one_claim_pays_its_share_rounded_once():
    assert _paid([Decimal("1.00")]) == 30 and _paid([Decimal("0.05")]) == 2  # 0.015 → 0.02, 四舍五入


def test_twenty_claims_of_five_fen_pay_thirty_percent():
    results = _results([Decimal("0.05")] * 20)
    assert sum(r.amount_fen or 0 for r in results) == 30  # not 40
    parts = [r.amount_fen for r in results]
    assert parts[:4] == [2, 1, 2, 1]  # 0.015 → 2, 0.030 → 3, 0.045 → 5, 0.060 → 6: each claim the difference
    lowered = next(r for r in results if r.event_id == "c01")
    assert lowered.explanation_key == "eligible:year_total" and lowered.formula_fen == 2
    assert "合计金额四舍五入一次" in lowered.explanation_zh and "¥0.01" in lowered.explanation_zh


days = st.dates(dt.date(2024, 3, 28), dt.date(2024, 12, 31))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("900000"), places=2), days),
                min_size=2, max_size=20))
@example([(Decimal("0.05"), dt.date(2024, 5, 1))] * 20)
@example([(Decimal("0.02"), dt.date(2024, 5, 1))] * 3)  # 0.006 → 1 fen; the second claim's part is nothing
def test_splitting_a_spend_never_pays_more(claims):
    """Any split of a year's spending, on any days of the policy year, pays what the unsplit spend pays (never
    more), each part between nothing and one fen off the claim's own rounding."""
    spends = [s for s, _ in claims]
    total = sum(spends)
    results = _results(spends, [d for _, d in claims])
    paid = sum(r.amount_fen or 0 for r in results if r.status == "eligible")
    assert paid <= _paid([total])
    assert paid == _paid([total]) == _once(total)  # one year: the text's rounding allows no difference
    for r in results:
        assert r.amount_fen is None or r.amount_fen >= 0
        if r.explanation_key.endswith(":year_total"):
            assert abs((r.amount_fen or 0) - r.formula_fen) <= 1


def test_the_batch_query_rounds_once_too(tmp_path):
    """The same split through the screening query: the parts and their sum are the calculator's."""
    spends = [Decimal("0.05")] * 20
    rows = {ENTITY_TABLE: [{"entity_id": "E1", "kind": "enterprise", "name": "拆分测试企业", "credit_code": CREDIT,
                            "industry": "6513", "district": "530102"}],
            "compute_claims": [{**c, "entity_id": "E1"} for c in _claims(spends)]}
    for table in ALL_TABLES:
        cols = [c.name for c in table_columns(table)]
        with (tmp_path / f"{table}.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(cols)
            w.writerows([["" if r.get(c) is None else str(r.get(c)) for c in cols] for r in rows.get(table, [])])
    con = connect()
    prepare(con, set(register_registry(con, tmp_path)), [p.id for p in POLICY.provisions()])
    run_rules_duckdb(con, POLICY, AS_OF, POLICY.header.general.overlap.default_strategy)
    batch = dict(con.execute("SELECT event_id, amount_fen FROM screened WHERE provision_id = ?", [PROVISION]).fetchall())
    con.close()
    calc = {r.event_id: r.amount_fen for r in _results(spends)}
    assert batch == calc and sum(v or 0 for v in batch.values()) == 30
