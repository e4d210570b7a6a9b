"""Caps across claims and 就高不重复 at their edges: random profiles through both back-ends (hypothesis).

Each example is a handful of applicants whose figures sit at an edge — a yearly cap reached exactly, missed
by one fen, passed by one fen, claims of nothing; support already received equal to ours, one fen less, one
fen more, zero, several supports adding up to the edge — screened by the batch query and evaluated by the
calculator. Every row must agree, and both must obey the rules themselves: a year's compute vouchers add up
to min(cap, the claims' exact total rounded once), and 就高不重复 pays max(0, ours − received).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi.batch.compile import batch_visible
from huiqi.batch.inputs import register_registry
from huiqi.batch.schema import ALL_TABLES, ENTITY_TABLE, SUPPORT_TABLE, table_columns
from huiqi.batch.screen import connect, run_rules_duckdb
from huiqi.batch.validate import prepare
from huiqi.catalogue import get_policy
from huiqi.engine.evaluate import evaluate
from huiqi.engine.plan import plan_for
from huiqi.profile.model import Profile
from huiqi.standards.uscc import make_uscc

POLICY = get_policy()
PLANS = {pl.provision.id: pl for pl in plan_for(POLICY)}
VOUCHER, GIANT, DEV = "m07.compute_voucher", "m23.little_giant_award", "m07.internet_software_development_award"
AS_OF = dt.date(2024, 12, 31)
FEN = Decimal("0.01")


def _param(pid: str, name: str) -> Decimal:
    return Decimal(str(PLANS[pid].provision.parameters[name].value_on(AS_OF)))


CAP, RATE = _param(VOUCHER, "cap"), _param(VOUCHER, "rate")
GIANT_AWARD, DEV_CEILING = _param(GIANT, "amount"), _param(DEV, "cap")
EDGE = st.sampled_from([Decimal(0), -FEN, FEN, None])  # equal, one fen less, one fen more; None: zero


def _near(target: Decimal, delta: Decimal | None) -> Decimal:
    return Decimal(0) if delta is None else max(Decimal(0), target + delta)


@st.composite
def applicant(draw, n: int) -> dict:
    """One enterprise at an edge of the compute voucher's yearly cap, the little-giant award or a referral's ceiling."""
    kind = draw(st.sampled_from(["voucher", "giant", "dev"]))
    eid = f"E{n:03d}"
    profile: dict = {"kind": "enterprise", "name": eid, "credit_code": make_uscc(f"91530100{n:09d}"),
                     "district": "530102"}
    support: list[dict] = []
    if kind == "voucher":
        profile["industry"] = "6513"
        # the claims' 30 % add up to the cap ± one fen (or a claim of nothing), split across 1–3 claims and days
        total_amount = _near(CAP, draw(EDGE)) + draw(st.sampled_from([Decimal(0), CAP / 2, CAP]))
        spend_total = (total_amount / RATE).quantize(FEN)
        parts = draw(st.integers(1, 3))
        cut = sorted(draw(st.lists(st.integers(0, int(spend_total * 100)), min_size=parts - 1, max_size=parts - 1)))
        fens = [b - a for a, b in zip([0, *cut], [*cut, int(spend_total * 100)])]
        days = draw(st.lists(st.dates(dt.date(2024, 3, 28), dt.date(2024, 12, 31)), min_size=parts, max_size=parts))
        profile["compute_claims"] = [{"id": f"c{i}", "date": d, "category": "compute_rental",
                                      "spend": Decimal(f) / 100} for i, (f, d) in enumerate(zip(fens, days))]
        if draw(st.booleans()):  # support received for one claim, at the edge of what the cap leaves it
            target = draw(st.sampled_from([CAP / 2, total_amount * RATE, Decimal("0.01")])).quantize(FEN)
            support.append({"provision": VOUCHER, "level": "provincial", "amount": _near(target, draw(EDGE)),
                            "event_id": draw(st.sampled_from([None, "c0"]))})
    elif kind == "giant":
        profile["industry"] = "3435"
        profile["recognitions"] = [{"id": "r1", "date": dt.date(2024, 7, 15), "type": "专精特新“小巨人”",
                                    "level": "national"}]
        received = _near(GIANT_AWARD, draw(EDGE))
        split = draw(st.booleans()) and received > 0  # two supports adding up to the edge
        first = (received / 2).quantize(FEN) if split else received
        support.append({"provision": GIANT, "level": "provincial", "amount": first,
                        "event_id": draw(st.sampled_from([None, "r1"]))})
        if split:
            support.append({"provision": GIANT, "level": "district", "amount": received - first, "event_id": None})
    else:  # a ceiling left to assessment, carried by a referral and lowered by support received
        profile["industry"] = "6513"
        support.append({"provision": DEV, "level": "provincial", "amount": _near(DEV_CEILING, draw(EDGE)),
                        "event_id": None})
    if support:
        profile["other_support"] = support
    return profile


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _write(path, profiles: dict[str, dict]) -> None:
    tables: dict[str, list[dict]] = defaultdict(list)
    lists = [t for t in ALL_TABLES if t != ENTITY_TABLE]
    for eid, profile in profiles.items():
        tables[ENTITY_TABLE].append({**{k: v for k, v in profile.items() if k not in lists}, "entity_id": eid})
        for t in lists:
            tables[t] += [{**row, "entity_id": eid} for row in profile.get(t) or []]
    for table in ALL_TABLES:
        cols = [c.name for c in table_columns(table)]
        with (path / f"{table}.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(cols)
            w.writerows([[_cell(r.get(c)) for c in cols] for r in tables.get(table, [])])


def _rows(result) -> tuple:
    return (result.status, result.amount_fen, result.is_cap, result.explanation_key)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data(), st.sampled_from(["highest_only", "top_up"]))
def test_caps_and_overlap_agree_at_their_edges(tmp_path_factory, data, strategy):
    profiles = {f"E{n:03d}": data.draw(applicant(n)) for n in range(data.draw(st.integers(1, 10)))}
    path = tmp_path_factory.mktemp("edges")
    _write(path, profiles)
    con = connect()
    prepare(con, set(register_registry(con, path)), [p.id for p in POLICY.provisions()])
    assert con.execute("SELECT count(*) FROM rejects").fetchone()[0] == 0
    run_rules_duckdb(con, POLICY, AS_OF, strategy)
    batch: dict[str, dict] = defaultdict(dict)
    for eid, pid, ev, status, fen, is_cap, key in con.execute(
            "SELECT entity_id, provision_id, event_id, status, amount_fen, is_cap, explanation_key FROM screened").fetchall():
        batch[eid][(pid, ev)] = (status, fen, is_cap, key)
    con.close()
    for eid, raw in profiles.items():
        profile = Profile.model_validate(raw)
        results = evaluate(POLICY, profile, AS_OF, strategy).results
        calc = {(r.provision_id, r.event_id): _rows(r) for r in results if batch_visible(r, PLANS[r.provision_id])}
        assert calc == batch.get(eid, {}), (eid, raw, {k: (calc.get(k), batch.get(eid, {}).get(k))
                                                       for k in set(calc) | set(batch.get(eid, {}))
                                                       if calc.get(k) != batch.get(eid, {}).get(k)})
        _obeys_the_rules(profile, results)


def _obeys_the_rules(profile: Profile, results) -> None:
    """The rules themselves, not one back-end against the other."""
    cap_fen = int(CAP * 100)
    vouchers = [r for r in results if r.provision_id == VOUCHER and r.formula_fen is not None]
    # the year's claims paid on their exact total, rounded once (四舍五入 to the fen)
    formula = int((sum((r.exact_yuan for r in vouchers), Decimal(0)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    received = defaultdict(int)
    for s in profile.other_support:
        received[(s.provision, s.event_id)] += int(s.amount * 100)
    if vouchers and not profile.other_support:
        paid = sum(r.amount_fen or 0 for r in vouchers)
        assert paid == min(cap_fen, formula), (paid, formula)
    for r in results:
        if r.provision_id in (GIANT, DEV) and r.formula_fen is not None:
            got = received[(r.provision_id, None)] + (received[(r.provision_id, r.event_id)] if r.event_id else 0)
            ours = r.formula_fen
            expected = max(0, ours - got)
            assert (r.amount_fen or 0) == expected, (r.provision_id, ours, got, r.amount_fen)
            assert (r.amount_fen is None) == (expected == 0)
            if expected == 0:
                assert r.status == "not_eligible" and r.explanation_key.endswith(("overlap_highest_only", "overlap_top_up"))
