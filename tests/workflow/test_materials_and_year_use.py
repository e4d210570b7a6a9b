"""申报材料 before submission, and the year's ceiling from the ledger in the calculator — on SQLite and PostgreSQL.

A provision with a materials list (m07 首次升规纳统奖补: two required proofs, one optional) is not submitted until each
required material has a file: the service names the missing ones in Chinese, the API answers 422 with the error
body, nothing moves. The calculator's year: what the ledger approved is fed into the engine's own cap step.
"""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from huiqi import policies
from huiqi.api.app import create_app
from huiqi.engine.evaluate import evaluate
from huiqi.profile.model import profile_model
from huiqi.storage.models import Application, Evidence
from huiqi.workflow import accounts, evidence, ledger, service

PW = "password-123"
CODE = "91530100678728169X"
SOFTWARE = {"kind": "enterprise", "name": "昆明示例软件科技有限公司", "credit_code": CODE, "district": "530114",
            "industry": "6513", "scale_entries": [{"id": "s1", "date": "2024-04-10", "path": "small_to_scale"}]}
AWARD = "m07.internet_software_first_scale_award"
PDF = b"%PDF-1.4 a scanned proof\n%%EOF"
DAY = dt.date(2024, 6, 30)


@pytest.fixture
def people(db, tmp_path, monkeypatch):
    monkeypatch.setenv("HUIQI_EVIDENCE_DIR", str(tmp_path / "evidence"))
    with db.transaction() as s:
        ledger.ensure_pools(s, policies.load())
        ent = accounts.create_user(s, "ent", PW, "applicant", credit_code=CODE)
        rev = accounts.create_user(s, "rev", PW, "reviewer", department="市工业和信息化局")
        return ent.id, rev.id


def _user(s, user_id):
    from huiqi.storage.models import User

    return s.get(User, user_id)


def _draft(db, ent_id) -> int:
    with db.transaction() as s:
        return service.create(s, _user(s, ent_id), SOFTWARE, AWARD, "s1", today=DAY).id


def test_the_awards_list_is_configured_and_marked_so():
    guide = policies.load().measure("m07").service_for(AWARD)
    assert guide is not None and guide.source == "configured" and guide.phone is None
    assert [(m.id, m.required) for m in guide.materials] == [
        ("scale_entry_proof", True), ("sector_proof", True), ("other", False)]
    # the compute voucher has none: nothing is asked beyond what the department announces
    assert policies.load().measure("m07").service_for("m07.compute_voucher") is None


def test_submission_waits_for_each_required_material(db, people):
    ent_id, _ = people
    app_id = _draft(db, ent_id)
    with pytest.raises(service.MaterialsMissing) as e:
        with db.transaction() as s:
            service.submit(s, _user(s, ent_id), app_id, DAY, today=DAY)
    message = str(e.value)
    assert "统计部门出具的首次升规纳入核算证明" in message and "行业类别证明" in message
    assert "其他补充材料" not in message  # optional: never waited for
    with db.transaction() as s:
        evidence.add(s, "ent", app_id, "统计证明.pdf", PDF, material="scale_entry_proof")
    with pytest.raises(service.MaterialsMissing) as e:
        with db.transaction() as s:
            service.submit(s, _user(s, ent_id), app_id, DAY, today=DAY)
    assert [m.id for m in e.value.materials] == ["sector_proof"]
    assert "统计部门出具" not in str(e.value)
    with db.transaction() as s:
        assert s.get(Application, app_id).status == "draft"  # nothing moved
        evidence.add(s, "ent", app_id, "行业.pdf", PDF, material="sector_proof")
    with db.transaction() as s:
        assert service.submit(s, _user(s, ent_id), app_id, DAY, today=DAY).status == "submitted"


@pytest.mark.parametrize("material, words", [(None, "请选择材料类别"), ("invoice", "请选择材料类别"), ("", "请选择材料类别")])
def test_a_file_of_a_listed_provision_says_which_material_it_is(db, people, material, words):
    ent_id, _ = people
    app_id = _draft(db, ent_id)
    with pytest.raises(evidence.EvidenceRejected) as e:
        with db.transaction() as s:
            evidence.add(s, "ent", app_id, "x.pdf", PDF, material=material)
    assert e.value.status == 422 and words in str(e.value) and "行业类别证明" in str(e.value)
    with db.transaction() as s:
        assert s.execute(select(Evidence).where(Evidence.application_id == app_id)).first() is None


def test_a_provision_without_a_list_takes_files_without_a_material(db, people):
    ent_id, _ = people
    profile = {**SOFTWARE, "compute_claims": [{"id": "c1", "date": "2024-05-10", "category": "model_service",
                                               "spend": "100000.00"}]}
    with db.transaction() as s:
        app_id = service.create(s, _user(s, ent_id), profile, "m07.compute_voucher", "c1", today=DAY).id
        assert evidence.add(s, "ent", app_id, "发票.pdf", PDF).material is None
    with pytest.raises(evidence.EvidenceRejected) as e:
        with db.transaction() as s:
            evidence.add(s, "ent", app_id, "发票.pdf", PDF, material="sector_proof")
    assert e.value.status == 422
    with db.transaction() as s:
        assert service.submit(s, _user(s, ent_id), app_id, DAY, today=DAY).status == "submitted"


def test_the_api_answers_422_naming_the_missing_material(db, people, monkeypatch):
    monkeypatch.setenv("HUIQI_TODAY", "2024-06-30")
    ent_id, _ = people
    client = TestClient(create_app(db), base_url="https://testserver")
    r = client.post("/api/v1/auth/login", json={"username": "ent", "password": PW})
    token = client.post("/api/v1/auth/tokens", json={"name": "t"}, headers={"X-CSRF-Token": r.json()["csrf_token"]})
    client.cookies.clear()
    h = {"Authorization": f"Bearer {token.json()['token']}"}
    r = client.post("/api/v1/applications", json={"profile": SOFTWARE, "provision_id": AWARD, "event_id": "s1"}, headers=h)
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    r = client.post(f"/api/v1/applications/{app_id}/evidence", files={"file": ("a.pdf", PDF, "application/pdf")},
                    headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "material", r.text
    r = client.post(f"/api/v1/applications/{app_id}/evidence", files={"file": ("a.pdf", PDF, "application/pdf")},
                    data={"material": "scale_entry_proof"}, headers=h)
    assert r.status_code == 201 and r.json()["material"] == "scale_entry_proof", r.text
    r = client.post(f"/api/v1/applications/{app_id}/submit", json={"as_of": "2024-06-30"}, headers=h)
    assert r.status_code == 422, r.text
    body = r.json()["error"]
    assert body["code"] == "materials_missing" and body["field"] == "materials"
    assert "行业类别证明" in body["message_zh"] and "统计部门出具" not in body["message_zh"]
    assert "proof of the industry" in body["message_en"] and "尚未" not in body["message_en"]


# -- the year's ceiling from the ledger ------------------------------------------------------------------


def _compute(profile_claims):
    return {"kind": "enterprise", "name": "算力企业", "credit_code": CODE, "industry": "6513",
            "compute_claims": profile_claims}


def test_year_use_reads_the_ledger_and_the_engine_counts_it(db, people):
    ent_id, rev_id = people
    big = {"id": "c1", "date": "2024-05-10", "category": "model_service", "spend": "2000000.00"}  # 30% = 600,000 > cap
    with db.transaction() as s:
        app = service.create(s, _user(s, ent_id), _compute([big]), "m07.compute_voucher", "c1", today=DAY)
        service.submit(s, _user(s, ent_id), app.id, DAY, today=DAY)
        service.start_review(s, _user(s, rev_id), app.id)
        service.approve(s, _user(s, rev_id), app.id, 50_000_000)  # the whole 500,000 ceiling
    with db.transaction() as s:
        used = service.year_use(s, CODE, "kunming_2024")
        # the claim still in the profile is counted by the step itself, so it is left out of what is fed in
        outside = service.year_use(s, CODE, "kunming_2024", outside={"m07.compute_voucher": {"c1"}})
    assert used == {("m07.compute_voucher", 2024): 50_000_000}
    assert outside == {("m07.compute_voucher", 2024): 0}

    policy = policies.load()
    new = {"id": "c2", "date": "2024-11-10", "category": "compute_rental", "spend": "133334.00"}  # 30% ≈ 40,000
    profile = profile_model(policy).model_validate(_compute([new]))
    alone = [r for r in evaluate(policy, profile, dt.date(2024, 12, 31)).results if r.provision_id == "m07.compute_voucher"]
    assert alone[0].status == "eligible" and alone[0].amount_fen == 4_000_020
    fed = [r for r in evaluate(policy, profile, dt.date(2024, 12, 31), prior_use=used).results
           if r.provision_id == "m07.compute_voucher"]
    assert fed[0].status == "not_eligible" and fed[0].amount_fen is None
    assert "此前已计¥500,000.00" in fed[0].explanation_zh
    # another year's use does not touch this year
    other = [r for r in evaluate(policy, profile, dt.date(2024, 12, 31),
                                 prior_use={("m07.compute_voucher", 2023): 50_000_000}).results
             if r.provision_id == "m07.compute_voucher"]
    assert other[0].status == "eligible" and other[0].amount_fen == 4_000_020


def test_part_of_the_ceiling_left_is_what_a_new_claim_gets(db, people):
    policy = policies.load()
    new = {"id": "c2", "date": "2024-11-10", "category": "compute_rental", "spend": "600000.00"}  # 180,000
    profile = profile_model(policy).model_validate(_compute([new]))
    r = [r for r in evaluate(policy, profile, dt.date(2024, 12, 31),
                             prior_use={("m07.compute_voucher", 2024): 36_000_000}).results
         if r.provision_id == "m07.compute_voucher"][0]
    assert r.status == "eligible" and r.amount_fen == 14_000_000
    assert "此前已计¥360,000.00，本笔至多¥140,000.00" in r.explanation_zh
