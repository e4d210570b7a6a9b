"""Approved claims never add up to more than the year's total rounded once (issue 13): the compute voucher pays 30 %
of a year's spending, so however an enterprise splits it into applications, what is approved for the year is at
most the year's spending × 30 %, rounded once — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest

from huiqi.catalogue import get_policy
from huiqi.storage.models import EntityCap
from huiqi.workflow import accounts, ledger, service

CREDIT = "91530100MA6K3YXF8W"
AS_OF = dt.date(2024, 6, 1)
SPEND = Decimal("0.05")  # 30 % is 0.015: 2 fen claimed alone, 30 fen for twenty claimed together
N = 20


def _claim(i: int) -> dict:
    return {"id": f"c{i:02d}", "date": "2024-05-01", "category": "model_service", "spend": str(SPEND)}


def _profile(claims: list[dict]) -> dict:
    return {"kind": "enterprise", "name": "拆分测试企业", "credit_code": CREDIT, "industry": "6513", "compute_claims": claims}


def _once(claims: int) -> int:
    return int((SPEND * claims * Decimal("0.30") * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.fixture
def people(db):
    with db.transaction() as s:
        ledger.ensure_pools(s, get_policy())
        a = accounts.create_user(s, "ent1", "password-123", "applicant", credit_code=CREDIT)
        r = accounts.create_user(s, "rev-gxj", "password-123", "reviewer", department="市工业和信息化局")
        return {"applicant": a, "reviewer": r}


def _submitted(s, people, profile: dict, event_id: str):
    app = service.create(s, people["applicant"], profile, "m07.compute_voucher", event_id)
    service.submit(s, people["applicant"], app.id, AS_OF)
    service.start_review(s, people["reviewer"], app.id)
    return app


def test_one_application_per_claim_each_alone_cannot_pass_the_year_total(db, people):
    """Each application's profile holds its own claim only, so each is entitled to 2 fen; approving them all in
    full would pay 40 fen. An approval past the year's total is refused naming it; what is left can be approved."""
    approved = refused = 0
    for i in range(N):
        with db.transaction() as s:
            app = _submitted(s, people, _profile([_claim(i)]), f"c{i:02d}")
            assert app.entitlement_fen == 2
        room = _once(i + 1) - approved  # the rule: the claims approved so far and this one, rounded once
        try:
            with db.transaction() as s:  # one request: a refusal keeps nothing
                service.approve(s, people["reviewer"], app.id, app.entitlement_fen)
            assert app.entitlement_fen <= room
            approved += app.entitlement_fen
        except service.Refused as e:
            assert app.entitlement_fen > room and "合计后四舍五入一次" in str(e) and "¥" in str(e)
            refused += 1
            with db.transaction() as s:
                service.approve(s, people["reviewer"], app.id, room, "本年度各笔合计四舍五入一次，按余额核定")
            approved += room
        assert approved <= _once(i + 1)
    with db.transaction() as s:
        assert ledger.reconcile(s).ok
        assert s.get(EntityCap, (CREDIT, "kunming_2024/m07.compute_voucher", 2024)).used_fen == approved
    assert approved == _once(N) == 30 and refused == N // 2


def test_claims_of_one_profile_are_approved_in_full(db, people):
    """With every claim in the profile, the engine's entitlements are already each claim's part of the year's total:
    they add up to it, and each is approved in full, in any order."""
    profile = _profile([_claim(i) for i in range(N)])
    with db.transaction() as s:
        apps = [_submitted(s, people, profile, f"c{i:02d}") for i in range(N)]
        assert sum(a.entitlement_fen or 0 for a in apps) == _once(N)
        for app in reversed(apps):
            if app.entitlement_fen:
                service.approve(s, people["reviewer"], app.id, app.entitlement_fen)
        assert sum(a.approved_fen or 0 for a in apps) == 30


def test_the_department_may_decide_the_years_claims_in_any_order(db, people):
    """Claims of ¥0.04 and ¥0.01 (1.2 and 0.3 fen at 30 %): their parts of the year's 1.5 → 2 fen are 1 fen each,
    the second a fen above its own rounding (0). Approving the later one first was refused when only approved
    claims counted; the earlier claim, submitted and waiting, counts too — and the year still pays 2 fen."""
    claims = [{"id": "c1", "date": "2024-05-01", "category": "model_service", "spend": "0.04"},
              {"id": "c2", "date": "2024-05-02", "category": "model_service", "spend": "0.01"}]
    with db.transaction() as s:
        first = _submitted(s, people, _profile(claims), "c1")
        later = _submitted(s, people, _profile(claims), "c2")
        assert (first.entitlement_fen, later.entitlement_fen) == (1, 1)
    with db.transaction() as s:
        service.approve(s, people["reviewer"], later.id, 1)
    with db.transaction() as s:
        service.approve(s, people["reviewer"], first.id, 1)
        assert sum(a.approved_fen for a in (s.get(type(first), first.id), s.get(type(later), later.id))) == 2
