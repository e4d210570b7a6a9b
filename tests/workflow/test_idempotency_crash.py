"""A server SIGKILLed while it holds an ``Idempotency-Key`` does not strand the key (issue 13, item 4).

The child serves the real HTTP app in its own process and stops at one step of a keyed request: just
after claiming the key, inside the operation's transaction (its audit entry flushed), or after the answer
is written to the key's row but before the commit. The parent SIGKILLs it, then retries with the same key
as a client would: after the lease the retry is answered (the operation runs once), and a second retry
gets the same answer. A key stranded by an older version whose operation *did* commit is answered from
the effect found in the database, without running the operation again. Harness as in test_kill.py.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from huiqi.api import idempotency
from huiqi.api.app import create_app
from huiqi.catalogue import get_policy
from huiqi.storage.models import Application, AuditEntry, IdempotencyKey, LedgerEntry, utcnow
from huiqi.workflow import accounts, audit, ledger, service
from tests.workflow.test_kill import CODE, PROFILE, _url

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")

CHILD = textwrap.dedent("""
    import sys, time
    from fastapi.testclient import TestClient
    from sqlalchemy import event
    from huiqi.api import idempotency
    from huiqi.api.app import create_app
    from huiqi.storage.db import Database
    from huiqi.workflow import audit

    url, step, method_path, body, token, key = sys.argv[1:7]

    def stop():
        print("inside", flush=True)
        time.sleep(120)                      # the parent kills us here

    db = Database(url)
    if step == "claimed":                    # the key's row is committed; the operation has not started
        claim = idempotency._claim
        def claimed(*a, **k):
            got = claim(*a, **k)
            if got == ("mine", None):
                stop()
            return got
        idempotency._claim = claimed
    elif step == "effect":                   # the operation's changes are flushed, not committed
        append = audit.append
        def effect(session, *a, **k):
            entry = append(session, *a, **k)
            session.flush()
            stop()
        audit.append = effect
    elif step == "answer":                   # the answer is on the key's row, not committed
        @event.listens_for(db.engine, "after_cursor_execute")
        def answered(conn, cursor, statement, *a):
            if statement.lstrip().upper().startswith("UPDATE IDEMPOTENCY_KEYS SET STATUS_CODE"):
                stop()
    client = TestClient(create_app(db), base_url="https://testserver")
    method, path = method_path.split(" ")
    r = client.request(method, path, content=body, headers={"Authorization": "Bearer " + token,
                       "Idempotency-Key": key, "Content-Type": "application/json"})
    print("answered?!", r.status_code, flush=True)
""")


def _kill_at(db, step: str, method_path: str, body: str, token: str, key: str) -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD, _url(db), step, method_path, body, token, key],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ})
    try:
        line = child.stdout.readline()
        assert line.strip() == "inside", (line, child.stderr.read() if child.poll() is not None else "")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL


@pytest.fixture
def setting(db, monkeypatch):
    """An application under review; bearer tokens for the applicant and the reviewer; a one-second lease."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setenv("HUIQI_IDEMPOTENCY_LEASE_SECONDS", "1")
    with db.transaction() as s:
        ledger.ensure_pools(s, get_policy())
        a = accounts.create_user(s, "ent", "password-123", "applicant", credit_code=CODE)
        r = accounts.create_user(s, "rev", "password-123", "reviewer", department="市工业和信息化局")
        app = service.create(s, a, PROFILE, "m07.compute_voucher", "c1")
        service.submit(s, a, app.id, dt.date(2024, 6, 1))
        service.start_review(s, r, app.id)
        tokens = {"ent": accounts.new_token(s, a, "t"), "rev": accounts.new_token(s, r, "t")}
    return app.id, tokens, TestClient(create_app(db), base_url="https://testserver")


def _counts(db) -> dict:
    with db.transaction() as s:
        return {"apps": s.execute(select(func.count()).select_from(Application)).scalar_one(),
                "ledger": s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one(),
                "approvals": s.execute(select(func.count()).select_from(AuditEntry)
                                       .where(AuditEntry.action == "application.approve")).scalar_one(),
                "audit_ok": audit.verify(s).ok, "reconciled": ledger.reconcile(s).ok}


@pytest.mark.parametrize("step", ["claimed", "effect", "answer"])
def test_killed_approval_is_answered_after_the_lease(db, setting, step):
    app_id, tokens, client = setting
    path, body = f"/api/v1/applications/{app_id}/approve", '{"amount_fen": 30000000}'
    before = _counts(db)
    _kill_at(db, step, f"POST {path}", body, tokens["rev"], "approve-k1")
    assert _counts(db) == before  # nothing of the operation survived the kill
    with db.transaction() as s:  # only the claim did: stranded, unanswered
        row = s.execute(select(IdempotencyKey).where(IdempotencyKey.key == "approve-k1")).scalar_one()
        assert row.status_code == 0 and row.lease_until is not None
    h = {"Authorization": f"Bearer {tokens['rev']}", "Idempotency-Key": "approve-k1"}
    retry = client.post(path, content=body, headers={**h, "Content-Type": "application/json"})
    assert retry.status_code == 200, retry.text  # today: 409 in_progress for ever
    assert retry.json()["status"] == "approved" and retry.json()["approved_fen"] == 30_000_000
    again = client.post(path, content=body, headers={**h, "Content-Type": "application/json"})
    assert (again.status_code, again.json()) == (200, retry.json())
    after = _counts(db)
    assert after["ledger"] == before["ledger"] + 1 and after["approvals"] == before["approvals"] + 1
    assert after["audit_ok"] and after["reconciled"]


@pytest.mark.parametrize("step", ["claimed", "effect", "answer"])
def test_killed_create_makes_one_application(db, setting, step):
    _, tokens, client = setting
    body = ('{"profile": %s, "provision_id": "m07.compute_voucher", "event_id": "c2"}'
            % __import__("json").dumps({**PROFILE, "compute_claims": [PROFILE["compute_claims"][1]]}))
    before = _counts(db)
    _kill_at(db, step, "POST /api/v1/applications", body, tokens["ent"], "create-k1")
    assert _counts(db)["apps"] == before["apps"]
    h = {"Authorization": f"Bearer {tokens['ent']}", "Idempotency-Key": "create-k1", "Content-Type": "application/json"}
    first = client.post("/api/v1/applications", content=body, headers=h)
    second = client.post("/api/v1/applications", content=body, headers=h)
    assert first.status_code == second.status_code == 201, first.text
    assert first.json()["id"] == second.json()["id"]
    assert _counts(db)["apps"] == before["apps"] + 1


def test_a_live_holder_is_waited_for_then_in_progress(db, setting, monkeypatch):
    """Within the lease the key is still the holder's: a retry waits, then answers 409 and runs nothing."""
    app_id, tokens, client = setting
    monkeypatch.setenv("HUIQI_IDEMPOTENCY_LEASE_SECONDS", "60")
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.3)
    path, body = f"/api/v1/applications/{app_id}/approve", '{"amount_fen": 30000000}'
    _kill_at(db, "claimed", f"POST {path}", body, tokens["rev"], "approve-k2")
    h = {"Authorization": f"Bearer {tokens['rev']}", "Idempotency-Key": "approve-k2", "Content-Type": "application/json"}
    r = client.post(path, content=body, headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "in_progress"
    assert _counts(db)["approvals"] == 0


def test_a_key_stranded_after_its_effect_is_answered_from_the_database(db, setting):
    """An older server committed the approval but died before storing the answer (its claim has no lease):
    the retry finds the approval in the database and answers it, instead of approving again or a 409."""
    app_id, tokens, client = setting
    with db.transaction() as s:
        from huiqi.storage.models import User

        rev = s.execute(select(User).where(User.username == "rev")).scalar_one()
        s.add(IdempotencyKey(user_id=rev.id, key="old-k", endpoint=f"approve/{app_id}", status_code=0,
                             response_json="null", at=utcnow() - dt.timedelta(milliseconds=5)))
    with db.transaction() as s:
        service.approve(s, s.get(type(rev), rev.id), app_id, 30_000_000)
    before = _counts(db)
    h = {"Authorization": f"Bearer {tokens['rev']}", "Idempotency-Key": "old-k", "Content-Type": "application/json"}
    r = client.post(f"/api/v1/applications/{app_id}/approve", content='{"amount_fen": 30000000}', headers=h)
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["approved_fen"] == 30_000_000
    assert _counts(db) == before  # answered, not run again
    with db.transaction() as s:
        assert s.execute(select(IdempotencyKey.status_code).where(IdempotencyKey.key == "old-k")).scalar_one() == 200
