"""Demo data for ``make run``: one account per role and applications at several stages.

The password comes from HUIQI_DEMO_PASSWORD (default ``huiqi-demo-2024``) and is printed once.
"""

from __future__ import annotations

import datetime as dt
import os

from sqlalchemy import func, select

from huiqi.storage.db import Database
from huiqi.storage.models import User
from huiqi.workflow import accounts, ledger, service

PROFILE = {
    "kind": "enterprise", "name": "昆明示例智能科技有限公司", "credit_code": "91530100MA6K3YXF8W", "district": "530111",
    "industry": "6513", "size_class": "small",
    "compute_claims": [
        {"id": "c1", "date": "2024-04-10", "category": "compute_rental", "spend": "1200000.00"},
        {"id": "c2", "date": "2024-06-20", "category": "model_service", "spend": "300000.00"},
        {"id": "c3", "date": "2024-09-05", "category": "model_product", "spend": "200000.00"},
    ],
}
ACCOUNTS = [
    ("ent-demo", "applicant", None, "91530100MA6K3YXF8W", "昆明示例智能科技有限公司"),
    ("rev-gongxin", "reviewer", "市工业和信息化局", None, "市工业和信息化局审核员"),
    ("rev-shangwu", "reviewer", "市商务局", None, "市商务局审核员"),
    ("fin-demo", "finance", None, None, "市财政局"),
    ("admin", "admin", None, None, "系统管理员"),
]


def seed(db: Database, if_empty: bool = True) -> list[str]:
    """Create the demo accounts and applications; returns what was created (empty if already there)."""
    from huiqi.catalogue import get_policy

    password = os.environ.get("HUIQI_DEMO_PASSWORD", "huiqi-demo-2024")
    with db.transaction() as s:
        ledger.ensure_pools(s, get_policy())
        if if_empty and s.execute(select(func.count()).select_from(User)).scalar_one():
            return []
        users = {name: accounts.create_user(s, name, password, role, display_name=label, department=dept,
                                            credit_code=code, actor="demo")
                 for name, role, dept, code, label in ACCOUNTS}
        ent, rev, fin = users["ent-demo"], users["rev-gongxin"], users["fin-demo"]
        as_of = dt.date(2024, 10, 8)
        a1 = service.create(s, ent, PROFILE, "m07.compute_voucher", "c1")
        service.submit(s, ent, a1.id, as_of)
        service.start_review(s, rev, a1.id)
        service.approve(s, rev, a1.id, a1.entitlement_fen)
        service.publish(s, fin, a1.id, today=as_of)
        a2 = service.create(s, ent, PROFILE, "m07.compute_voucher", "c2")
        service.submit(s, ent, a2.id, as_of)
        a3 = service.create(s, ent, PROFILE, "m07.compute_voucher", "c3")
    return [f"{name} ({role})" for name, role, *_ in ACCOUNTS] + [f"applications {a1.id}, {a2.id}, {a3.id}"]
