"""Concurrent approvals over HTTP against a running server: 50 approvals of 300,000 with 1,000,000 left.

    HUIQI_DATABASE_URL=sqlite:///var/conc.db .venv/bin/huiqi serve --port 8055 &
    HUIQI_DATABASE_URL=sqlite:///var/conc.db .venv/bin/python bench/concurrent_approvals.py 8055

Expected: {200: 3, 409: 47}, the ledger reconciles, 90,000,000 fen reserved. Measured 2026-11-27 on
SQLite and on PostgreSQL (a fresh database): exactly that, no server error. Use an empty database.
"""
import os, sys, json, datetime as dt, concurrent.futures as cf
import httpx
from sqlalchemy import update
from huiqi.storage.db import Database
from huiqi.storage.models import Pool
from huiqi.workflow import accounts, ledger, service
from huiqi.catalogue import get_policy
from huiqi.standards.uscc import make_uscc
db = Database()
db.create_all()
with db.transaction() as s:
    ledger.ensure_pools(s, get_policy())
    rev = accounts.create_user(s, "rev", "password-123", "reviewer", department="市工业和信息化局")
    tok = accounts.new_token(s, rev, "load")
    ids = []
    for e in range(50):
        code = make_uscc(f"91530100{e:09d}")
        u = accounts.create_user(s, f"e{e}", "password-123", "applicant", credit_code=code)
        p = {"kind": "enterprise", "name": "x", "credit_code": code,
             "compute_claims": [{"id": "c1", "date": "2024-05-01", "category": "compute_rental", "spend": "1000000.00"}]}
        a = service.create(s, u, p, "m07.compute_voucher", "c1")
        service.submit(s, u, a.id, dt.date(2024, 6, 1))
        service.start_review(s, rev, a.id)
        ids.append(a.id)
    s.execute(update(Pool).where(Pool.id == "m07.compute_voucher_pool").values(total_fen=100_000_000))
port = sys.argv[1]
def go(i):
    r = httpx.post(f"http://127.0.0.1:{port}/api/v1/applications/{i}/approve", json={"amount_fen": 30_000_000},
                   headers={"Authorization": f"Bearer {tok}"}, timeout=60)
    return r.status_code
with cf.ThreadPoolExecutor(50) as ex:
    codes = list(ex.map(go, ids))
print({c: codes.count(c) for c in set(codes)})
with db.transaction() as s:
    print(ledger.reconcile(s).ok, s.get(Pool, "m07.compute_voucher_pool").reserved_fen)
