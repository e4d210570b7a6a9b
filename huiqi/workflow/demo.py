"""Demo data for ``make run``: one account per role and applications at several stages.

So a first visitor can sign in as any role and find something to do: the enterprise sees its
applications (one in 公示, one under review, one draft), the 工信局 reviewer has one to decide,
the 商务局 reviewer sees none of them (not its provision), finance can disburse once the notice ends.
The password comes from HUIQI_DEMO_PASSWORD (default ``huiqi-demo-2024``); the CLI prints it once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field

from sqlalchemy import func, select

from huiqi.storage.db import Database
from huiqi.storage.models import EnterpriseProfile, User
from huiqi.workflow import accounts, ledger, service

DEFAULT_PASSWORD = "huiqi-demo-2024"
CREDIT_CODE = "91530100MA6K3YXF8W"
PROFILE = {
    "kind": "enterprise", "name": "昆明示例智能科技有限公司", "credit_code": CREDIT_CODE, "district": "530111",
    "industry": "6513", "size_class": "small",
    "compute_claims": [
        {"id": "c1", "date": "2024-04-10", "category": "compute_rental", "spend": "1200000.00"},
        {"id": "c2", "date": "2024-06-20", "category": "model_service", "spend": "300000.00"},
        {"id": "c3", "date": "2024-09-05", "category": "model_product", "spend": "200000.00"},
    ],
}
# username, role, department, credit code, display name
ACCOUNTS = [
    ("ent-demo", "applicant", None, CREDIT_CODE, "昆明示例智能科技有限公司"),
    ("rev-gongxin", "reviewer", "市工业和信息化局", None, "市工业和信息化局审核员"),
    ("rev-shangwu", "reviewer", "市商务局", None, "市商务局审核员"),
    ("fin-demo", "finance", None, None, "市财政局"),
    ("admin", "admin", None, None, "系统管理员"),
]
AS_OF = dt.date(2024, 10, 8)  # inside the policy's term, so the engine's answers are the 2024 ones


@dataclass
class Seeded:
    """What :func:`seed` created; falsy when nothing was (``--if-empty`` on a database with users)."""

    accounts: list[str] = field(default_factory=list)
    applications: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.accounts)


def seed(db: Database, if_empty: bool = True) -> Seeded:
    """Create the demo accounts and applications in one transaction (all or nothing).

    With ``if_empty`` nothing is created when any user exists; without it an existing demo username
    raises ValueError ("username: … is taken")."""
    from huiqi import policies

    password = os.environ.get("HUIQI_DEMO_PASSWORD", DEFAULT_PASSWORD)
    with db.transaction() as s:
        ledger.ensure_pools(s, policies.load())
        if if_empty and s.execute(select(func.count()).select_from(User)).scalar_one():
            return Seeded()
        users = {name: accounts.create_user(s, name, password, role, display_name=label, department=dept,
                                            credit_code=code, actor="demo")
                 for name, role, dept, code, label in ACCOUNTS}
        ent, rev, fin = users["ent-demo"], users["rev-gongxin"], users["fin-demo"]
        # 1: 算力券 for c1, approved and in public notice (公示)
        a1 = service.create(s, ent, PROFILE, "m07.compute_voucher", "c1", today=AS_OF)
        service.submit(s, ent, a1.id, AS_OF, today=AS_OF)
        service.start_review(s, rev, a1.id)
        service.approve(s, rev, a1.id, a1.entitlement_fen)
        service.publish(s, fin, a1.id, today=AS_OF)
        # 2: c2 under review by 市工业和信息化局
        a2 = service.create(s, ent, PROFILE, "m07.compute_voucher", "c2", today=AS_OF)
        service.submit(s, ent, a2.id, AS_OF, today=AS_OF)
        service.start_review(s, rev, a2.id)
        # 3: c3 still a draft
        a3 = service.create(s, ent, PROFILE, "m07.compute_voucher", "c3", today=AS_OF)
        # the enterprise's own profile, so its portal shows its benefits without retyping
        s.add(EnterpriseProfile(credit_code=CREDIT_CODE, user_id=ent.id, profile_json=json.dumps(PROFILE, ensure_ascii=False)))
        # departments' work on the measures that promise actions and lists (commitments, projects, m23, m27)
        from huiqi.delivery import demo as delivery_demo

        delivery_demo.seed(s, password, policies.load(), ent)
    return Seeded(
        accounts=[f"{name} ({role}{', ' + dept if dept else ''})" for name, role, dept, *_ in ACCOUNTS]
        + [f"{name} (reviewer, {dept})" for name, dept, _ in delivery_demo.ACCOUNTS],
        applications=[f"#{a1.id} 算力券 c1 公示中 public notice", f"#{a2.id} 算力券 c2 审核中 under review",
                      f"#{a3.id} 算力券 c3 草稿 draft"],
    )
