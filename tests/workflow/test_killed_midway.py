"""A process killed in the middle of an approval or a disbursement leaves the ledger consistent."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import text

from huiqi.catalogue import get_policy
from huiqi.storage.models import Application, Pool
from huiqi.workflow import accounts, ledger, service

PROFILE = {"kind": "enterprise", "name": "企业", "credit_code": "91530100MA6K3YXF8W",
           "compute_claims": [{"id": "c1", "date": "2024-05-10", "category": "model_service", "spend": "1000000.00"}]}

CHILD = textwrap.dedent("""
    import datetime as dt, sys, time
    from sqlalchemy import create_engine
    from huiqi.storage.db import Database
    from huiqi.storage.models import User
    from huiqi.workflow import service
    url, schema, action, app_id, user_id = sys.argv[1:6]
    if schema:
        db = Database(engine=create_engine(url, connect_args={"options": f"-csearch_path={schema}"}))
    else:
        db = Database(url)
    with db.transaction() as s:
        user = s.get(User, int(user_id))
        if action == "approve":
            service.approve(s, user, int(app_id), 30_000_000)
        else:
            service.disburse(s, user, int(app_id), today=dt.date(2024, 12, 1))
        s.flush()
        print("inside", flush=True)   # the status is changed and the money moved, not yet committed
        time.sleep(60)
""")


def _url_and_schema(db):
    if db.engine.dialect.name == "sqlite":
        return str(db.engine.url), ""
    with db.engine.connect() as c:
        schema = c.execute(text("SELECT current_schema()")).scalar_one()
    return db.engine.url.render_as_string(hide_password=False), schema


def _kill_inside(db, action: str, app_id: int, user_id: int) -> None:
    url, schema = _url_and_schema(db)
    child = subprocess.Popen([sys.executable, "-c", CHILD, url, schema, action, str(app_id), str(user_id)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ})
    line = child.stdout.readline()
    assert line.strip() == "inside", child.stderr.read()
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_killed_approval_and_disbursement_leave_the_ledger_consistent(db):
    with db.transaction() as s:
        ledger.ensure_pools(s, get_policy())
        a = accounts.create_user(s, "ent", "password-123", "applicant", credit_code="91530100MA6K3YXF8W")
        r = accounts.create_user(s, "rev", "password-123", "reviewer", department="市工业和信息化局")
        f = accounts.create_user(s, "fin", "password-123", "finance")
        app = service.create(s, a, PROFILE, "m07.compute_voucher", "c1")
        service.submit(s, a, app.id, dt.date(2024, 6, 1))
        service.start_review(s, r, app.id)
    _kill_inside(db, "approve", app.id, r.id)
    with db.transaction() as s:
        assert s.get(Application, app.id).status == "under_review"
        assert s.get(Pool, "m07.compute_voucher_pool").reserved_fen == 0
        assert ledger.reconcile(s).ok
        service.approve(s, r, app.id, 30_000_000)  # the application is still usable
        service.publish(s, f, app.id, 1, today=dt.date(2024, 6, 3))
    _kill_inside(db, "disburse", app.id, f.id)
    with db.transaction() as s:
        assert s.get(Application, app.id).status == "public_notice"
        pool = s.get(Pool, "m07.compute_voucher_pool")
        assert (pool.reserved_fen, pool.settled_fen) == (30_000_000, 0)
        assert ledger.reconcile(s).ok
