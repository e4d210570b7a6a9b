"""An application's whole life, with the money and the audit chain checked at the end."""

from __future__ import annotations

import datetime as dt

import pytest

from huiqi.catalogue import get_policy
from huiqi.storage.models import Pool
from huiqi.workflow import accounts, audit, ledger, service
from huiqi.workflow.states import TransitionError

PROFILE = {
    "kind": "enterprise", "name": "昆明示例智能科技有限公司", "credit_code": "91530100MA6K3YXF8W", "industry": "6513",
    "compute_claims": [{"id": "c1", "date": "2024-05-10", "category": "model_service", "spend": "1000000.00"}],
}
AS_OF = dt.date(2024, 6, 1)


@pytest.fixture
def people(db):
    with db.transaction() as s:
        ledger.ensure_pools(s, get_policy())
        a = accounts.create_user(s, "ent1", "password-123", "applicant", credit_code="91530100MA6K3YXF8W")
        r = accounts.create_user(s, "rev-gxj", "password-123", "reviewer", department="市工业和信息化局")
        other = accounts.create_user(s, "rev-swj", "password-123", "reviewer", department="市商务局")
        f = accounts.create_user(s, "fin1", "password-123", "finance")
        return {"applicant": a, "reviewer": r, "other_reviewer": other, "finance": f}


def test_draft_to_disbursed(db, people):
    with db.transaction() as s:
        app = service.create(s, people["applicant"], PROFILE, "m07.compute_voucher", "c1")
        service.submit(s, people["applicant"], app.id, AS_OF)
        assert app.entitlement_fen == 30_000_000 and app.policy_version == get_policy().version
        service.start_review(s, people["reviewer"], app.id)
        service.approve(s, people["reviewer"], app.id, 25_000_000, "部分支出发票不全，按可核实部分核定")
        service.publish(s, people["finance"], app.id, today=dt.date(2024, 6, 3))
        # 5 working days after Monday 3 June 2024: 4, 5, 6, 7 June, then 10 June is the Dragon Boat Festival → 11 June
        assert app.notice_until == dt.date(2024, 6, 11)
        service.object_to(s, app.id, "13800000000", "我认为该企业不符合条件", today=dt.date(2024, 6, 5))
        with pytest.raises(service.Refused):
            service.disburse(s, people["finance"], app.id, today=dt.date(2024, 6, 11))  # the notice still runs
        service.disburse(s, people["finance"], app.id, today=dt.date(2024, 6, 12))
    with db.transaction() as s:
        pool = s.get(Pool, "kunming_2024/m07.compute_voucher_pool")
        assert (pool.reserved_fen, pool.settled_fen) == (0, 25_000_000)
        assert ledger.reconcile(s).ok
        assert [t["to"] for t in service.timeline(s, app.id)] == [
            "draft", "submitted", "under_review", "approved", "public_notice", "disbursed"]
        v = audit.verify(s)
        assert v.ok and v.entries >= 10


def test_rules_of_review(db, people):
    with db.transaction() as s:
        app = service.create(s, people["applicant"], PROFILE, "m07.compute_voucher", "c1")
        service.submit(s, people["applicant"], app.id, AS_OF)
        with pytest.raises(service.PermissionDenied):
            service.start_review(s, people["other_reviewer"], app.id)  # 市商务局 is not m07's lead department
        with pytest.raises(service.PermissionDenied):
            service.approve(s, people["applicant"], app.id, 1)
        service.start_review(s, people["reviewer"], app.id)
        with pytest.raises(service.Refused):
            service.approve(s, people["reviewer"], app.id, 30_000_001)  # above the entitlement
        with pytest.raises(TransitionError):
            service.disburse(s, people["finance"], app.id, today=dt.date(2024, 7, 1))
        service.return_for_more(s, people["reviewer"], app.id, "请补充算力租赁合同")
        assert app.status == "returned"


def test_cancellation_releases_the_money(db, people):
    with db.transaction() as s:
        app = service.create(s, people["applicant"], PROFILE, "m07.compute_voucher", "c1")
        service.submit(s, people["applicant"], app.id, AS_OF)
        service.start_review(s, people["reviewer"], app.id)
        service.approve(s, people["reviewer"], app.id, 30_000_000)
        service.cancel(s, people["finance"], app.id)
    with db.transaction() as s:
        pool = s.get(Pool, "kunming_2024/m07.compute_voucher_pool")
        assert (pool.reserved_fen, pool.settled_fen) == (0, 0)
        assert ledger.reconcile(s).ok


def test_not_eligible_is_not_submitted(db, people):
    late = {**PROFILE, "compute_claims": [{"id": "c1", "date": "2025-02-01", "category": "model_service", "spend": "10"}]}
    with db.transaction() as s:
        app = service.create(s, people["applicant"], late, "m07.compute_voucher", "c1")
    with pytest.raises(service.Refused):
        with db.transaction() as s:
            service.submit(s, people["applicant"], app.id, dt.date(2025, 3, 1))
    with db.transaction() as s:
        assert s.get(type(app), app.id).status == "draft"  # nothing stored


def test_audit_detects_tampering(db, people):
    from sqlalchemy import text

    with db.transaction() as s:
        assert audit.verify(s).ok
        s.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"))
    with db.transaction() as s:
        v = audit.verify(s)
        assert not v.ok and v.first_bad == 2 and "altered" in v.problem


def test_working_days_follow_the_official_holidays():
    # National Day 2024: 1–7 October off, Sunday 29 September and Saturday 12 October worked (调休)
    assert service.add_working_days(dt.date(2024, 9, 27), 1) == dt.date(2024, 9, 29)
    assert service.add_working_days(dt.date(2024, 9, 30), 1) == dt.date(2024, 10, 8)
    assert service.add_working_days(dt.date(2024, 10, 11), 1) == dt.date(2024, 10, 12)
    with pytest.raises(service.Refused):
        service.add_working_days(dt.date(2026, 12, 30), 5)  # 2027 has no published schedule in the package


def test_a_yearly_provision_without_a_stated_yearly_cap_is_approved(db):
    """m26's 担保费补贴 is counted per year (上年度担保金额) but states no yearly ceiling of its own: approving it
    took the cap parameter it does not have (a KeyError, a 500 on the review page)."""
    from huiqi import policies

    guarantor = {"kind": "guarantee_institution", "name": "昆明示例融资担保有限公司", "credit_code": "91530100678728169X",
                 "district": "530103", "guarantees": [{"id": "g1", "date": "2023-08-15", "amount": "5000000",
                                                       "client_credit_code": "91530100MA6K3YXF8W", "fee_rate": "0.01"}]}
    lead = policies.load().measure("m26").lead_departments[0].name
    with db.transaction() as s:
        ledger.ensure_pools(s, get_policy())
        g = accounts.create_user(s, "guarantor", "password-123", "applicant", credit_code="91530100678728169X")
        r = accounts.create_user(s, "rev-m26", "password-123", "reviewer", department=lead)
        app = service.create(s, g, guarantor, "m26.guarantee_fee_subsidy", None, today=AS_OF)
        service.submit(s, g, app.id, AS_OF, today=AS_OF)
        assert app.cap_year == 2024 and app.entitlement_fen == 5_000_000
        service.start_review(s, r, app.id)
        service.approve(s, r, app.id, 5_000_000)
        assert app.status == "approved" and app.approved_fen == 5_000_000
        assert ledger.reconcile(s).ok


@pytest.mark.parametrize("provision, words", [
    ("m25.small_scale_vat_exemption", "税费减免"), ("m12.nev_purchase_tax_exemption", "税费减免"),
    ("m28.startup_loan_small_micro", "贷款额度"), ("m24.bid_bond_waiver", "资格或便利"),
    ("m07.digital_transformation_subsidy", "牵头单位认定"),
])
def test_only_money_is_applied_for(db, people, provision, words):
    """A tax relief, a loan limit, a right or a referral pays nothing through the platform: no application is
    created for it (the calculator shows no apply button either), and it can never reach a 公示 or a payment."""
    from huiqi.storage.models import Application

    with db.transaction() as s:
        before = s.query(Application).count()
    with pytest.raises(service.Refused, match=words):
        with db.transaction() as s:
            service.create(s, people["applicant"], PROFILE, provision, None, today=AS_OF)
    with db.transaction() as s:
        assert s.query(Application).count() == before  # nothing stored
