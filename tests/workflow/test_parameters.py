"""Administrators' parameter changes: checked, dated, audited, and used by the engine from their date
on — on SQLite and PostgreSQL. Answers frozen before a change keep their figures and policy version."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from huiqi.catalogue import get_policy
from huiqi.engine.evaluate import evaluate
from huiqi.profile.model import Profile
from huiqi.storage.models import Application
from huiqi import policies
from huiqi.workflow import accounts, audit, ledger, parameters, service

CODE = "91530100MA6K3YXF8W"
RATE = ("m07.compute_voucher", "rate")


def _people(db):
    with db.transaction() as s:
        ledger.ensure_pools(s, get_policy())
        admin = accounts.create_user(s, "adm", "password-123", "admin")
        ent = accounts.create_user(s, "ent", "password-123", "applicant", credit_code=CODE)
        rev = accounts.create_user(s, "rev", "password-123", "reviewer", department="市工业和信息化局")
    return admin, ent, rev


def _profile(claim: str, day: str) -> dict:
    return {"kind": "enterprise", "name": "企业", "credit_code": CODE,
            "compute_claims": [{"id": claim, "date": day, "category": "compute_rental", "spend": "1000000.00"}]}


def _voucher(policy, claim: str, day: str) -> int:
    result = evaluate(policy, Profile.model_validate(_profile(claim, day)), dt.date(2024, 12, 1))
    return next(r for r in result.results if r.provision_id == RATE[0]).amount_fen


def test_a_rate_change_applies_from_its_date_and_not_the_day_before(db):
    admin, ent, rev = _people(db)
    with db.transaction() as s:
        before_change = service.create(s, ent, _profile("c1", "2024-06-30"), RATE[0], "c1")
        service.submit(s, ent, before_change.id, dt.date(2024, 7, 5))
        frozen_version = s.get(Application, before_change.id).policy_version
        row = parameters.change(s, admin, *RATE, "25%", dt.date(2024, 7, 1), "年中调整补助比例")
        assert row.id and row.actor == "adm"
    with db.transaction() as s:
        policy = policies.effective(s)
        assert policy.version.startswith(f"{get_policy().version}-p{row.id}-") and len(policy.version) <= 32
        values = policy.measure("m07").provision(RATE[0]).parameters["rate"].values
        assert [(v.start, v.end, v.value) for v in values] == [
            (dt.date(2024, 3, 28), dt.date(2024, 6, 30), Decimal("0.30")),
            (dt.date(2024, 7, 1), dt.date(2024, 12, 31), Decimal("0.25"))]
        # the day before the change: 30% of 1,000,000; on the day: 25%
        assert _voucher(policy, "c1", "2024-06-30") == 30_000_000
        assert _voucher(policy, "c2", "2024-07-01") == 25_000_000
        assert _voucher(get_policy(), "c2", "2024-07-01") == 30_000_000  # the files are untouched
        after = service.create(s, ent, _profile("c2", "2024-07-01"), RATE[0], "c2")
        service.submit(s, ent, after.id, dt.date(2024, 7, 5))
        assert after.entitlement_fen == 25_000_000 and after.policy_version == policy.version
        # the answer frozen before the change keeps its figure and version
        kept = s.get(Application, before_change.id)
        assert kept.entitlement_fen == 30_000_000 and kept.policy_version == frozen_version
        assert audit.verify(s).ok
        assert [h.id for h in parameters.history(s)] == [row.id]


def test_a_later_decision_wins_from_its_date(db):
    admin, _, _ = _people(db)
    with db.transaction() as s:
        parameters.change(s, admin, *RATE, "0.25", dt.date(2024, 9, 1), "九月起")
        parameters.change(s, admin, *RATE, "0.20", dt.date(2024, 7, 1), "改为七月起")
    with db.transaction() as s:
        values = policies.effective(s).measure("m07").provision(RATE[0]).parameters["rate"].values
        assert [(v.start, v.end, v.value) for v in values] == [
            (dt.date(2024, 3, 28), dt.date(2024, 6, 30), Decimal("0.30")),
            (dt.date(2024, 7, 1), dt.date(2024, 12, 31), Decimal("0.20"))]


@pytest.mark.parametrize(("args", "field"), [
    (("m07.nope", "rate", "0.2", dt.date(2024, 7, 1), "r"), "provision_id"),
    (("m07.compute_voucher", "nope", "0.2", dt.date(2024, 7, 1), "r"), "parameter"),
    (("m07.compute_voucher", "rate", "0.2", dt.date(2024, 7, 1), "  "), "reason"),
    (("m07.compute_voucher", "rate", "120%", dt.date(2024, 7, 1), "r"), "value"),
    (("m07.compute_voucher", "rate", "-0.1", dt.date(2024, 7, 1), "r"), "value"),
    (("m07.compute_voucher", "cap", "500000.001", dt.date(2024, 7, 1), "r"), "value"),
    (("m07.compute_voucher", "cap", "五十万", dt.date(2024, 7, 1), "r"), "value"),
    (("m07.compute_voucher", "rate", "0.2", dt.date(1900, 1, 1), "r"), "effective_from"),
])
def test_bad_changes_name_the_field_and_store_nothing(db, args, field):
    admin, _, _ = _people(db)
    with pytest.raises(parameters.ChangeRefused) as e:
        with db.transaction() as s:
            parameters.change(s, admin, *args)
    assert e.value.field == field
    with db.transaction() as s:
        assert parameters.history(s) == []


def test_only_an_administrator_changes_parameters(db):
    _, ent, rev = _people(db)
    for user in (ent, rev):
        with pytest.raises(service.PermissionDenied):
            with db.transaction() as s:
                parameters.change(s, user, *RATE, "0.2", dt.date(2024, 7, 1), "r")


def test_the_api_calculator_uses_the_changed_figure(db):
    from fastapi.testclient import TestClient

    from huiqi.api.app import create_app

    admin, _, _ = _people(db)
    client = TestClient(create_app(db))
    body = {"profile": _profile("c1", "2024-08-01"), "as_of": "2024-12-01"}

    def voucher():
        results = client.post("/api/v1/evaluate", json=body).json()["results"]
        return next(r for r in results if r["provision_id"] == RATE[0])["amount_fen"]

    assert voucher() == 30_000_000
    with db.transaction() as s:
        parameters.change(s, admin, *RATE, "10%", dt.date(2024, 8, 1), "测试")
    assert voucher() == 10_000_000
