"""A process SIGKILLed in the middle of an approval or a disbursement leaves the books consistent.

The child runs the real service call in its own process; a hook wraps one step inside it (the audit
append right after the status update, the cap, the reservation, the settlement) so the child stops
*inside* the transaction, says so, and sleeps until the parent kills it. Nothing is mocked in the
parent: it then reads the database as any later process would.
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
from sqlalchemy import func, select, text

from huiqi.catalogue import get_policy
from huiqi.storage.models import Application, EntityCap, LedgerEntry, Pool
from huiqi.workflow import accounts, audit, ledger, service

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")

POOL = "kunming_2024/m07.compute_voucher_pool"  # the ledger key: <policy>/<pool>
CODE = "91530100MA6K3YXF8W"
PROFILE = {"kind": "enterprise", "name": "企业", "credit_code": CODE,
           "compute_claims": [{"id": "c1", "date": "2024-05-10", "category": "model_service", "spend": "1000000.00"},
                              {"id": "c2", "date": "2024-05-20", "category": "compute_rental", "spend": "100000.00"}]}

CHILD = textwrap.dedent("""
    import datetime as dt, sys, time
    from huiqi.storage.db import Database
    from huiqi.storage.models import User
    from huiqi.workflow import audit, ledger, service

    url, action, hook, app_id, user_id = sys.argv[1:6]
    module, name = hook.split(".")
    target = {"audit": audit, "ledger": ledger}[module]
    original = getattr(target, name)

    def stop_here(session, *args, **kwargs):
        result = original(session, *args, **kwargs)
        session.flush()                      # the change is sent to the database, not committed
        print("inside", flush=True)
        time.sleep(120)                      # the parent kills us here
        return result

    setattr(target, name, stop_here)
    db = Database(url)
    with db.transaction() as s:
        user = s.get(User, int(user_id))
        if action == "approve":
            service.approve(s, user, int(app_id), 30_000_000)
        else:
            service.disburse(s, user, int(app_id), today=dt.date(2024, 12, 1))
    print("committed?!", flush=True)
""")


def _url(db) -> str:
    """A URL another process can open: the PostgreSQL test schema goes into the connection options."""
    if db.engine.dialect.name == "sqlite":
        return str(db.engine.url)
    with db.engine.connect() as c:
        schema = c.execute(text("SELECT current_schema()")).scalar_one()
    return db.engine.url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


def _kill_inside(db, action: str, hook: str, app_id: int, user_id: int) -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD, _url(db), action, hook, str(app_id), str(user_id)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ})
    try:
        line = child.stdout.readline()
        assert line.strip() == "inside", (line, child.stderr.read() if child.poll() is not None else "")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL


def _books(db, app_id: int) -> dict:
    with db.transaction() as s:
        pool = s.get(Pool, POOL)
        cap = s.get(EntityCap, (CODE, "kunming_2024/m07.compute_voucher", 2024))
        rec = ledger.reconcile(s)
        v = audit.verify(s)
        return {"status": s.get(Application, app_id).status, "reserved": pool.reserved_fen, "settled": pool.settled_fen,
                "cap_used": cap.used_fen if cap else 0, "reconciled": rec.ok, "problems": rec.problems,
                "audit_ok": v.ok, "audit_head": audit.head(s),
                "entries": s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one()}


@pytest.fixture
def under_review(db, monkeypatch):
    """An application under review for 300,000 yuan, and another already holding 30,000 (so the books are not empty)."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    with db.transaction() as s:
        ledger.ensure_pools(s, get_policy())
        a = accounts.create_user(s, "ent", "password-123", "applicant", credit_code=CODE)
        r = accounts.create_user(s, "rev", "password-123", "reviewer", department="市工业和信息化局")
        f = accounts.create_user(s, "fin", "password-123", "finance")
        other = service.create(s, a, PROFILE, "m07.compute_voucher", "c2")
        service.submit(s, a, other.id, dt.date(2024, 6, 1))
        service.start_review(s, r, other.id)
        service.approve(s, r, other.id, 3_000_000, "按审核核定")
        app = service.create(s, a, PROFILE, "m07.compute_voucher", "c1")
        service.submit(s, a, app.id, dt.date(2024, 6, 1))
        service.start_review(s, r, app.id)
    return app.id, r, f


@pytest.mark.parametrize("hook", ["audit.append", "ledger.use_cap", "ledger.reserve"])
def test_killed_approval_changes_nothing(db, under_review, hook):
    app_id, reviewer, _ = under_review
    before = _books(db, app_id)
    assert before["status"] == "under_review" and before["reconciled"]
    _kill_inside(db, "approve", hook, app_id, reviewer.id)
    after = _books(db, app_id)
    assert after == before  # status, pool, cap, ledger entries and audit head: all as they were
    with db.transaction() as s:  # and nothing is left locked: the approval goes through now
        service.approve(s, reviewer, app_id, 30_000_000)
    done = _books(db, app_id)
    assert (done["status"], done["reserved"], done["cap_used"]) == ("approved", 33_000_000, 33_000_000)
    assert done["reconciled"] and done["audit_ok"]


@pytest.mark.parametrize("hook", ["audit.append", "ledger.settle"])
def test_killed_disbursement_changes_nothing(db, under_review, hook):
    app_id, reviewer, finance = under_review
    with db.transaction() as s:
        service.approve(s, reviewer, app_id, 30_000_000)
        service.publish(s, finance, app_id, 1, today=dt.date(2024, 6, 3))
    before = _books(db, app_id)
    assert before["status"] == "public_notice" and before["reconciled"]
    _kill_inside(db, "disburse", hook, app_id, finance.id)
    assert _books(db, app_id) == before
    with db.transaction() as s:
        service.disburse(s, finance, app_id, today=dt.date(2024, 12, 1))
    done = _books(db, app_id)
    assert (done["status"], done["reserved"], done["settled"]) == ("disbursed", 3_000_000, 30_000_000)
    assert done["reconciled"] and done["audit_ok"]
