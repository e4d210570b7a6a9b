"""The workflow over HTTP, on SQLite and PostgreSQL: a whole story, sign-in rules, idempotency, and
who may do what (an authorisation matrix over every role and endpoint)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from huiqi.api.app import create_app
from huiqi.catalogue import get_policy
from huiqi.storage.models import LedgerEntry
from huiqi.workflow import accounts, ledger

PW = "password-123"
PROFILE = {"kind": "enterprise", "name": "昆明示例智能科技有限公司", "credit_code": "91530100MA6K3YXF8W", "industry": "6513",
           "compute_claims": [{"id": "c1", "date": "2024-05-10", "category": "model_service", "spend": "1000000.00"}]}
OTHER = {**PROFILE, "name": "另一家企业", "credit_code": "91530100678728169X"}


@pytest.fixture
def api(db):
    with db.transaction() as s:
        ledger.ensure_pools(s, get_policy())
        accounts.create_user(s, "entA", PW, "applicant", credit_code="91530100MA6K3YXF8W")
        accounts.create_user(s, "entB", PW, "applicant", credit_code="91530100678728169X")
        accounts.create_user(s, "rev", PW, "reviewer", department="市工业和信息化局")
        accounts.create_user(s, "rev2", PW, "reviewer", department="市商务局")
        accounts.create_user(s, "fin", PW, "finance")
        accounts.create_user(s, "adm", PW, "admin")
    client = TestClient(create_app(db), base_url="https://testserver")
    tokens = {}
    for name in ("entA", "entB", "rev", "rev2", "fin", "adm"):
        r = client.post("/api/v1/auth/login", json={"username": name, "password": PW})
        assert r.status_code == 200
        t = client.post("/api/v1/auth/tokens", json={"name": "t"}, headers={"X-CSRF-Token": r.json()["csrf_token"]})
        assert t.status_code == 200, t.text
        tokens[name] = {"Authorization": f"Bearer {t.json()['token']}"}
    client.cookies.clear()
    return client, tokens


def _new(client, h, profile=PROFILE, claim="c1"):
    if claim != "c1":  # another spend of the same enterprise: one live application per claim
        profile = {**profile, "compute_claims": [{**profile["compute_claims"][0], "id": claim}]}
    r = client.post("/api/v1/applications", json={"profile": profile, "provision_id": "m07.compute_voucher", "event_id": claim}, headers=h)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_story_over_http(api, db):
    c, t = api
    app_id = _new(c, t["entA"])
    assert c.post(f"/api/v1/applications/{app_id}/submit", json={"as_of": "2024-06-01"}, headers=t["entA"]).status_code == 200
    assert c.post(f"/api/v1/applications/{app_id}/review", headers=t["rev2"]).status_code in (403, 404)  # another department: refused, not even shown
    assert c.post(f"/api/v1/applications/{app_id}/review", headers=t["rev"]).status_code == 200
    assert c.post(f"/api/v1/applications/{app_id}/approve", json={"amount_fen": 30_000_001}, headers=t["rev"]).status_code == 409
    r = c.post(f"/api/v1/applications/{app_id}/approve", json={"amount_fen": 30_000_000}, headers=t["rev"])
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert c.post(f"/api/v1/applications/{app_id}/publish", json={"notice_days": 1}, headers=t["fin"]).status_code == 200
    assert c.post(f"/api/v1/applications/{app_id}/objections", json={"contact": "138", "content": "异议"}).status_code == 201
    notices = c.get("/api/v1/notices").json()
    assert notices["notices"][0]["approved_display"] == "¥300,000.00" and len(notices["audit_head"]["hash"]) == 64
    mine = c.get(f"/api/v1/applications/{app_id}", headers=t["entA"]).json()
    assert [e["to"] for e in mine["timeline"]] == ["draft", "submitted", "under_review", "approved", "public_notice"]
    assert mine["entitlement"]["amount_fen"] == 30_000_000
    pools = c.get("/api/v1/pools", headers=t["fin"]).json()
    assert pools["ledger_balances"] and any(p["reserved_fen"] == 30_000_000 for p in pools["pools"])
    assert c.get("/api/v1/audit/verify", headers=t["adm"]).json()["ok"] is True


def test_cookie_changes_need_the_csrf_token(api):
    c, _ = api
    r = c.post("/api/v1/auth/login", json={"username": "entA", "password": PW})
    csrf = r.json()["csrf_token"]
    body = {"profile": PROFILE, "provision_id": "m07.compute_voucher", "event_id": "c1"}
    assert c.post("/api/v1/applications", json=body).status_code == 403
    assert c.post("/api/v1/applications", json=body, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert c.post("/api/v1/applications", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    set_cookie = r.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "secure" in set_cookie and "samesite=strict" in set_cookie


def test_failures_back_off_without_locking_or_saying_locked(api, db):
    """Repeated failures from one client make that client wait (Retry-After), with the same words as any
    failure; no lock-out (tests/workflow/test_sign_in.py covers throttling in depth)."""
    c, _ = api
    answers = [c.post("/api/v1/auth/login", json={"username": "entB", "password": "wrong-password"}) for _ in range(5)]
    r = c.post("/api/v1/auth/login", json={"username": "entB", "password": PW})
    assert r.status_code == 401 and "retry-after" in r.headers and "locked" not in r.json()["error"]["message_en"]
    assert {a.json()["error"]["message_en"] for a in answers} == {r.json()["error"]["message_en"]}
    with db.transaction() as s:
        from huiqi.workflow import audit

        assert audit.verify(s).ok


def test_idempotent_approve_creates_nothing_new(api, db):
    c, t = api
    app_id = _new(c, t["entA"])
    c.post(f"/api/v1/applications/{app_id}/submit", json={"as_of": "2024-06-01"}, headers=t["entA"])
    c.post(f"/api/v1/applications/{app_id}/review", headers=t["rev"])
    h = {**t["rev"], "Idempotency-Key": "approve-1"}
    first = c.post(f"/api/v1/applications/{app_id}/approve", json={"amount_fen": 1_000_000, "opinion": "按审核核定"}, headers=h)
    again = c.post(f"/api/v1/applications/{app_id}/approve", json={"amount_fen": 1_000_000, "opinion": "按审核核定"}, headers=h)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    with db.transaction() as s:
        assert s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one() == 1
    k = {**t["entA"], "Idempotency-Key": "create-1"}
    body = {"profile": PROFILE, "provision_id": "m07.compute_voucher", "event_id": "c1"}
    assert c.post("/api/v1/applications", json=body, headers=k).json()["id"] == c.post("/api/v1/applications", json=body, headers=k).json()["id"]


ROLES = ["anonymous", "entA", "entB", "rev", "rev2", "fin", "adm"]
# endpoint → roles allowed (on entA's compute-voucher application in the right state); others get 401/403/404/409
MATRIX = {
    ("GET", "/api/v1/applications/{id}"): {"entA", "rev", "fin", "adm"},
    ("POST", "/api/v1/applications/{id}/review"): {"rev"},
    ("POST", "/api/v1/applications/{id}/approve"): {"rev"},
    ("POST", "/api/v1/applications/{id}/reject"): {"rev"},
    ("POST", "/api/v1/applications/{id}/return"): {"rev"},
    ("POST", "/api/v1/applications/{id}/publish"): {"fin"},
    ("POST", "/api/v1/applications/{id}/disburse"): {"fin"},
    ("POST", "/api/v1/applications/{id}/cancel"): {"entA", "fin"},
    ("GET", "/api/v1/pools"): {"fin", "adm"},
    ("GET", "/api/v1/audit/verify"): {"adm"},
    ("GET", "/api/v1/notices"): set(ROLES),
    ("GET", "/api/v1/audit/head"): set(ROLES),
    ("POST", "/api/v1/applications"): {"entA", "entB"},
    ("POST", "/api/v1/users"): {"adm"},
    ("GET", "/api/v1/me"): {"entA", "entB", "rev", "rev2", "fin", "adm"},
}
STATE_FOR = {"review": "submitted", "approve": "under_review", "reject": "under_review", "return": "under_review",
             "publish": "approved", "disburse": "public_notice", "cancel": "submitted"}
BODY = {"approve": {"amount_fen": 100, "opinion": "按审核核定"}, "reject": {"reason": "r"}, "return": {"reason": "r"}}


_claims = iter(range(10**6))


def _prepare(c, t, state):
    app_id = _new(c, t["entA"], claim=f"m{next(_claims)}")
    steps = [("submit", "entA", {"as_of": "2024-06-01"}), ("review", "rev", None), ("approve", "rev", {"amount_fen": 100, "opinion": "按审核核定"}),
             ("publish", "fin", {"notice_days": 1})]
    order = ["draft", "submitted", "under_review", "approved", "public_notice"]
    for action, who, body in steps[: order.index(state)]:
        assert c.post(f"/api/v1/applications/{app_id}/{action}", json=body, headers=t[who]).status_code == 200
    return app_id


def test_authorisation_matrix(api):
    c, t = api
    for (method, path), allowed in MATRIX.items():
        action = path.rsplit("/", 1)[-1]
        for role in ROLES:
            app_id = _prepare(c, t, STATE_FOR.get(action, "submitted")) if "{id}" in path else None
            url = path.replace("{id}", str(app_id))
            headers = t.get(role, {})
            if method == "GET":
                r = c.get(url, headers=headers)
            else:
                body = {"profile": OTHER if role == "entB" else PROFILE, "provision_id": "m07.compute_voucher",
                        "event_id": "c1"} if path.endswith("applications") \
                    else BODY.get(action)
                if path.endswith("/users"):
                    body = {"username": f"new-{role}", "password": "a-long-password", "role": "finance"}
                r = c.post(url, json=body, headers=headers)
            if action == "disburse" and role in allowed:
                assert r.status_code == 409, (role, path, r.text)  # allowed, but the notice has not ended yet
                continue
            ok = r.status_code in (200, 201)
            assert ok == (role in allowed), (role, method, path, r.status_code, r.text)
            if not ok:
                assert r.status_code in (401, 403, 404), (role, path, r.status_code)
            if role == "entB" and "{id}" in path:
                assert r.status_code in (403, 404)  # never another applicant's data


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_evidence_types_sizes_and_content_hash(api, tmp_path, monkeypatch):
    monkeypatch.setenv("HUIQI_EVIDENCE_DIR", str(tmp_path / "evidence"))
    c, t = api
    app_id = _new(c, t["entA"])
    url = f"/api/v1/applications/{app_id}/evidence"
    r1 = c.post(url, files={"file": ("合同.pdf", PDF, "application/pdf")}, headers=t["entA"])
    r2 = c.post(url, files={"file": ("copy.pdf", PDF, "application/pdf")}, headers=t["entA"])
    assert r1.status_code == r2.status_code == 201 and r1.json()["sha256"] == r2.json()["sha256"]
    assert len(list((tmp_path / "evidence").rglob("*"))) == 2  # one folder, one stored file
    assert c.post(url, files={"file": ("a.png", PNG, "image/png")}, headers=t["entA"]).json()["content_type"] == "image/png"
    assert c.post(url, files={"file": ("fake.pdf", b"hello", "application/pdf")}, headers=t["entA"]).status_code == 415
    nearly = b"%PDF-" + b"[{" * (4 * 1024 * 1024)  # 8 MB, full of brackets: a real upload, not JSON
    assert c.post(url, files={"file": ("scan.pdf", nearly, "application/pdf")}, headers=t["entA"]).status_code == 201
    big = b"%PDF-" + b"0" * (10 * 1024 * 1024)
    r = c.post(url, files={"file": ("big.pdf", big, "application/pdf")}, headers=t["entA"])
    assert r.status_code == 413 and "10" in r.json()["error"]["message_en"]
    assert c.post(url, files={"file": ("a.pdf", PDF, "application/pdf")}, headers=t["entB"]).status_code == 404
    assert c.post(url, files={"file": ("a.pdf", PDF, "application/pdf")}, headers=t["rev"]).status_code == 403


def test_target_progress_with_history(api):
    c, t = api
    url = "/api/v1/targets/m07.pilot_segments_digital_level/progress"
    assert c.post(url, json={"value": "1", "note": "一季度"}, headers=t["rev"]).status_code == 201
    assert c.post(url, json={"value": "2"}, headers=t["rev"]).status_code == 201
    assert c.post(url, json={"value": "2"}, headers=t["rev2"]).status_code == 403  # 市商务局 is not m07's lead
    assert c.post(url, json={"value": "lots"}, headers=t["rev"]).status_code == 422
    assert c.post("/api/v1/targets/m99.x/progress", json={"value": "1"}, headers=t["adm"]).status_code == 404
    target = next(x for x in c.get("/api/v1/targets").json() if x["id"] == "m07.pilot_segments_digital_level")
    assert [p["value"] for p in target["progress"]] == ["1", "2"]


def test_targets_are_read_per_policy(api, db):
    from huiqi.storage.models import TargetProgress

    c, t = api
    url = "/api/v1/targets/m07.pilot_segments_digital_level/progress"
    assert c.post(url, json={"value": "3"}, headers=t["rev"]).status_code == 201
    with db.transaction() as s:  # another notice that happens to number a target the same way
        actor = s.scalars(select(TargetProgress.actor_id)).first()
        s.add(TargetProgress(policy_id="another_notice", target_id="m07.pilot_segments_digital_level", value="99",
                             actor_id=actor))
    shown = next(x for x in c.get("/api/v1/targets").json() if x["id"] == "m07.pilot_segments_digital_level")
    assert [p["value"] for p in shown["progress"]] == ["3"]  # the other notice's report is not this one's
    missing = c.get("/api/v1/targets?policy=nope")
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "policy"


def test_offers_from_a_registry_screen_are_confirmed_in_one_step(api, db, tmp_path):
    import csv
    import datetime as dt

    from huiqi.workflow import offers

    reg = tmp_path / "reg"
    reg.mkdir()
    with (reg / "entities.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["entity_id", "kind", "name", "credit_code", "industry"])
        w.writerow(["E1", "enterprise", "昆明示例智能科技有限公司", "91530100MA6K3YXF8W", "6513"])
    with (reg / "compute_claims.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["entity_id", "id", "date", "category", "spend"])
        w.writerow(["E1", "c1", "2024-05-10", "model_service", "1000000.00"])
    with db.transaction() as s:
        assert offers.create_from_registry(s, reg, dt.date(2024, 6, 1)) >= 1
    with db.transaction() as s:
        assert offers.create_from_registry(s, reg, dt.date(2024, 6, 1)) == 0  # not offered twice
        assert offers.create_from_registry(s, reg, dt.date(2024, 8, 1)) == 0  # nor by a later screen
    c, t = api
    mine = c.get("/api/v1/offers", headers=t["entA"]).json()
    voucher = next(o for o in mine if o["provision_id"] == "m07.compute_voucher")
    assert voucher["amount_fen"] == 30_000_000 and c.get("/api/v1/offers", headers=t["entB"]).json() == []
    assert c.post(f"/api/v1/offers/{voucher['id']}/confirm", headers=t["entB"]).status_code == 404
    r = c.post(f"/api/v1/offers/{voucher['id']}/confirm", headers=t["entA"])  # 免申即享: no materials asked
    assert r.status_code == 200 and r.json()["status"] == "submitted" and r.json()["entitlement_fen"] == 30_000_000
    assert c.post(f"/api/v1/offers/{voucher['id']}/confirm", headers=t["entA"]).status_code == 409


def test_admin_creates_users_with_checked_fields(api):
    c, t = api
    ok = c.post("/api/v1/users", json={"username": "rev3", "password": "a-long-password", "role": "reviewer",
                                       "department": "市商务局"}, headers=t["adm"])
    assert ok.status_code == 201
    bad = c.post("/api/v1/users", json={"username": "rev4", "password": "a-long-password", "role": "reviewer",
                                        "department": "市不存在局"}, headers=t["adm"])
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "department"
    assert c.post("/api/v1/users", json={"username": "x", "password": "short", "role": "admin"}, headers=t["adm"]).status_code == 422


def test_concurrent_twins_with_one_idempotency_key_create_one_application(api, db):
    from concurrent.futures import ThreadPoolExecutor

    from huiqi.storage.models import Application

    c, t = api
    body = {"profile": PROFILE, "provision_id": "m07.compute_voucher", "event_id": "c1"}
    h = {**t["entA"], "Idempotency-Key": "twins"}
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: c.post("/api/v1/applications", json=body, headers=h), range(8)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    with db.transaction() as s:
        assert s.execute(select(func.count()).select_from(Application)).scalar_one() == 1
