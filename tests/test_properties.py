"""Properties that must hold for any applicant (hypothesis): no negative amount, never above a cap,
amounts monotone in spend up to the cap, yearly caps across claims, determinism, 就高不重复 never paying
on top of support already received, first entries rewarded only inside the policy's period, and totals
that count only eligible amounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.catalogue import get_policy
from huiqi.engine.evaluate import evaluate
from huiqi.profile.model import Profile

POLICY = get_policy()
CODE = "91530100MA6K3YXF8W"
days = st.dates(min_value=dt.date(2022, 1, 1), max_value=dt.date(2025, 6, 30))
money = st.decimals(min_value=0, max_value=Decimal("50000000"), places=2, allow_nan=False, allow_infinity=False)
ratio = st.decimals(min_value=0, max_value=Decimal("0.05"), places=4)

events = st.fixed_dictionaries({
    "scale_entries": st.lists(st.fixed_dictionaries({"date": days, "path": st.sampled_from(["small_to_scale", "new_build"])}), max_size=2),
    "compute_claims": st.lists(st.fixed_dictionaries({
        "date": days, "category": st.sampled_from(["compute_rental", "model_product", "model_service"]), "spend": money}), max_size=6),
    "vehicles": st.lists(st.fixed_dictionaries({"date": days, "price_incl_vat": money, "new_energy": st.booleans()}), max_size=3),
    "recognitions": st.lists(st.fixed_dictionaries({
        "date": days, "type": st.sampled_from(["企业技术中心", "工业设计中心", "专精特新“小巨人”", "企业科技创新中心"]),
        "level": st.sampled_from(["national", "provincial", "municipal"])}), max_size=3),
    "vat_periods": st.lists(st.fixed_dictionaries({"date": days, "sales": money}), max_size=3),
    "tenders": st.lists(st.fixed_dictionaries({"date": days, "government_invested": st.booleans(), "bid_value": money}), max_size=2),
    "listings": st.lists(st.fixed_dictionaries({"date": days, "board": st.sampled_from(["neeq", "sse"])}), max_size=1),
})
profiles = st.builds(
    lambda ev, industry, in_db, small_scale: Profile.model_validate({
        "kind": "enterprise", "name": "随机企业", "credit_code": CODE, "industry": industry,
        "in_statistics_db": in_db, "small_scale_vat_taxpayer": small_scale, "has_dishonesty_record": False, **ev}),
    events, st.sampled_from(["3435", "6513", "6410", "5211", "1711"]), st.booleans(), st.booleans(),
)
as_of_days = st.dates(min_value=dt.date(2024, 3, 1), max_value=dt.date(2025, 2, 1))


def _cap_fen(result) -> int | None:
    for name in ("cap", "cap_per_vehicle"):
        if name in result.parameters and result.parameters[name] is not None:
            return int(Decimal(result.parameters[name]) * 100)
    return None


@settings(max_examples=150, deadline=None)
@given(profiles, as_of_days)
def test_amounts_are_never_negative_nor_above_their_cap(profile, as_of):
    for r in evaluate(POLICY, profile, as_of).results:
        if r.amount_fen is None:
            continue
        assert r.amount_fen >= 0
        cap = _cap_fen(r)
        if cap is not None:
            assert r.amount_fen <= cap, (r.provision_id, r.amount_fen, cap)
        if r.status == "referral":  # only a ceiling left to assessment travels with a referral
            provision = POLICY.measure(r.measure_id).provision(r.provision_id)
            assert provision.amount_by_assessment and r.is_cap, f"{r.provision_id}: an amount on a referral"
        elif r.status != "eligible":
            assert False, f"{r.provision_id}: an amount on a {r.status} result"


@settings(max_examples=100, deadline=None)
@given(profiles, as_of_days)
def test_yearly_compute_voucher_cap_holds_across_claims(profile, as_of):
    totals: dict[int, int] = {}
    for r in evaluate(POLICY, profile, as_of).results:
        if r.provision_id == "m07.compute_voucher" and r.status == "eligible":
            totals[r.decision_date.year] = totals.get(r.decision_date.year, 0) + r.amount_fen
    assert all(v <= 50_000_000 for v in totals.values())


@settings(max_examples=100, deadline=None)
@given(profiles, as_of_days)
def test_evaluation_is_deterministic(profile, as_of):
    a = evaluate(POLICY, profile, as_of).as_dict()
    b = evaluate(POLICY, profile.model_copy(deep=True), as_of).as_dict()
    assert a == b


def _voucher(spend: Decimal) -> int:
    p = Profile.model_validate({"kind": "enterprise", "name": "x", "credit_code": CODE,
                                "compute_claims": [{"date": "2024-05-01", "category": "model_service", "spend": spend}]})
    [r] = [r for r in evaluate(POLICY, p, dt.date(2024, 6, 1)).results if r.provision_id == "m07.compute_voucher"]
    return r.amount_fen or 0


def _nev(price: Decimal) -> int:
    p = Profile.model_validate({"kind": "individual", "name": "x",
                                "vehicles": [{"date": "2024-05-01", "price_incl_vat": price, "new_energy": True}]})
    [r] = [r for r in evaluate(POLICY, p, dt.date(2024, 6, 1)).results if r.provision_id == "m12.nev_purchase_tax_exemption"]
    return r.amount_fen or 0


@settings(max_examples=100, deadline=None)
@given(money, money)
def test_compute_voucher_is_monotone_in_spend_up_to_the_cap(a, b):
    lo, hi = sorted([a, b])
    assert _voucher(lo) <= _voucher(hi) <= 50_000_000
    if hi * Decimal("0.30") <= 500_000:
        assert _voucher(hi) == int((hi * Decimal("0.30") * 100).to_integral_value(rounding="ROUND_HALF_UP"))


@settings(max_examples=100, deadline=None)
@given(money, money)
def test_nev_relief_is_monotone_in_price_up_to_the_cap(a, b):
    lo, hi = sorted([a, b])
    assert _nev(lo) <= _nev(hi) <= 3_000_000


# -- 就高不重复, first entries, totals ---------------------------------------------------------------

IN_FORCE = (dt.date(2024, 3, 28), dt.date(2024, 12, 31))
fen_amounts = st.integers(min_value=0, max_value=200_000_000)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(fen_amounts, st.sampled_from(["national", "provincial", "district"]), st.booleans()),
                min_size=0, max_size=3))
def test_overlap_ends_with_the_higher_never_both_and_strategies_agree(supports):
    """Whatever was received for the same matter, ours + received paid in all is max(ours, received)."""
    base = {"kind": "enterprise", "name": "x", "credit_code": CODE, "industry": "3435",
            "recognitions": [{"id": "r1", "date": "2024-07-15", "type": "专精特新“小巨人”", "level": "national"}]}
    other = [{"provision": "m23.little_giant_award", "level": level, "amount": Decimal(fen) / 100,
              **({"event_id": "r1"} if named else {})} for fen, level, named in supports]
    p = Profile.model_validate({**base, "other_support": other})
    received = sum(fen for fen, _, _ in supports)
    paid = {}
    for strategy in ("highest_only", "top_up"):
        [r] = [r for r in evaluate(POLICY, p, dt.date(2024, 9, 30), strategy).results
               if r.provision_id == "m23.little_giant_award"]
        paid[strategy] = r.amount_fen or 0
        assert (r.status == "eligible") == (paid[strategy] > 0)
        if supports:
            assert paid[strategy] + received == max(100_000_000, received)
        else:
            assert paid[strategy] == 100_000_000
    assert paid["highest_only"] == paid["top_up"]


@settings(max_examples=150, deadline=None)
@given(days, as_of_days)
def test_first_entry_awards_only_for_entries_inside_the_policy_period(entry, as_of):
    """m07/m08 name no period of their own: the entry must fall in 2024-03-28 … 2024-12-31."""
    for industry, pid in (("6513", "m07.internet_software_first_scale_award"), ("5211", "m08.commerce_first_scale_award")):
        p = Profile.model_validate({"kind": "enterprise", "name": "x", "credit_code": CODE, "industry": industry,
                                    "scale_entries": [{"id": "e1", "date": entry, "path": "small_to_scale"}]})
        [r] = [r for r in evaluate(POLICY, p, as_of).results if r.provision_id == pid]
        if r.status == "eligible":
            assert IN_FORCE[0] <= entry <= IN_FORCE[1] and entry <= as_of and as_of <= IN_FORCE[1], (pid, entry, as_of)
        elif IN_FORCE[0] <= entry <= as_of <= IN_FORCE[1]:
            assert False, (pid, entry, as_of, r.explanation_en)


@settings(max_examples=100, deadline=None)
@given(profiles, as_of_days)
def test_totals_count_only_eligible_amounts(profile, as_of):
    ev = evaluate(POLICY, profile, as_of)
    money = {"fixed_award", "capped_award", "share_with_cap", "tax_relief"}
    eligible = [r for r in ev.results if r.status == "eligible" and r.amount_fen and r.kind in money]
    overall = ev.totals()["overall"]
    assert overall["money_fen"] == sum(r.amount_fen for r in eligible)
    assert overall["up_to_fen"] == sum(r.amount_fen for r in eligible if r.is_cap)
