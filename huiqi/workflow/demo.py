"""Demo data for ``make run``: one account per role and applications at several stages.

So a first visitor can sign in as any role and find something to do: the enterprise sees its
applications (for instance one in 公示, one under review, one draft), a reviewer has one to decide,
a reviewer of another department sees none of them, finance can disburse once the notice ends.
What is created is the policy's own: ``demo.yaml`` in the policy's folder (accounts, the enterprise's
profile, applications, the departments' delivery work); a policy without one gets an administrator and
a finance account only. The password comes from HUIQI_DEMO_PASSWORD (default :data:`DEFAULT_PASSWORD`);
the CLI prints it once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from huiqi.storage.db import Database
from huiqi.storage.models import EnterpriseProfile, User
from huiqi.workflow import accounts, ledger, service

DEFAULT_PASSWORD = "huiqi-demo-2024"
# without a demo file: accounts whose roles need no department of the policy
FALLBACK_ACCOUNTS = [("admin", "admin", None, None, "系统管理员"), ("fin-demo", "finance", None, None, "财政")]
STAGES = ("draft", "submitted", "under_review", "approved", "public_notice")
STAGE_LABELS = {"draft": "草稿 draft", "submitted": "已提交 submitted", "under_review": "审核中 under review",
                "approved": "已批准 approved", "public_notice": "公示中 public notice"}


def demo_file(policy) -> Path | None:
    """The ``demo.yaml`` of ``policy``'s folder, or None when its folder has none."""
    from huiqi.catalogue import folders
    from huiqi.rules.loader import read_yaml

    for folder in folders():
        header = folder / "policy.yaml"
        if header.exists() and (read_yaml(header) or {}).get("id") == policy.header.id:
            path = folder / "demo.yaml"
            return path if path.exists() else None
    return None


def demo_data(policy=None) -> dict:
    """The policy's demo data as its ``demo.yaml`` gives it ({} when there is none)."""
    from huiqi.rules.loader import read_yaml

    if policy is None:
        from huiqi import policies

        policy = policies.load()
    path = demo_file(policy)
    data = read_yaml(path) if path else None
    return data if isinstance(data, dict) else {}


def account_rows(data: dict) -> list[tuple]:
    """(username, role, department, credit code, display name) of the demo's accounts."""
    if not data.get("accounts"):
        return list(FALLBACK_ACCOUNTS)
    return [(a["username"], a["role"], a.get("department"), a.get("credit_code"), a.get("display_name"))
            for a in data["accounts"]]


def __getattr__(name: str):  # the default policy's demo, read when asked
    data = demo_data()
    if name == "ACCOUNTS":
        return account_rows(data)
    if name == "PROFILE":
        return (data.get("enterprise") or {}).get("profile")
    if name == "CREDIT_CODE":
        return ((data.get("enterprise") or {}).get("profile") or {}).get("credit_code")
    if name == "AS_OF":
        return dt.date.fromisoformat(str(data["as_of"])) if data.get("as_of") else None
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass
class Seeded:
    """What :func:`seed` created; falsy when nothing was, and then why: the demo's accounts already there
    (``existing``) or applications already stored (``applications_stored``)."""

    accounts: list[str] = field(default_factory=list)
    applications: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    applications_stored: int = 0

    def __bool__(self) -> bool:
        return bool(self.accounts)


def demo_usernames(data: dict) -> list[str]:
    """Every account the demo creates: one per role and the departments' delivery accounts."""
    return [r[0] for r in account_rows(data)] + [a["username"] for a in (data.get("delivery") or {}).get("accounts") or []]


def in_use(session, data: dict) -> Seeded:
    """Whether the database is in use for the demo's purposes: its accounts taken, or applications stored.
    Other accounts do not count: an administrator made first (``huiqi users create``) still gets the demo."""
    from huiqi.storage.models import Application

    names = demo_usernames(data)
    taken = list(session.execute(select(User.username).where(User.username.in_(names))).scalars())
    stored = session.execute(select(func.count()).select_from(Application)).scalar_one()
    return Seeded(existing=sorted(taken, key=names.index), applications_stored=stored)


def seed(db: Database, if_empty: bool = True, policy=None) -> Seeded:
    """Create the demo accounts and applications in one transaction (all or nothing).

    With ``if_empty`` nothing is created when a demo account exists or any application is stored (the
    returned :class:`Seeded` says which); without it an existing demo username raises ValueError
    ("username: … is taken")."""
    from huiqi import policies

    policy = policy or policies.load()
    data = demo_data(policy)
    rows = account_rows(data)
    password = os.environ.get("HUIQI_DEMO_PASSWORD", DEFAULT_PASSWORD)
    as_of = dt.date.fromisoformat(str(data["as_of"])) if data.get("as_of") else None
    with db.transaction() as s:
        ledger.ensure_pools(s, policy)
        if if_empty:
            found = in_use(s, data)
            if found.existing or found.applications_stored:
                return found
        users = open_accounts(s, rows, password)
        ent = users.get((data.get("enterprise") or {}).get("username", ""))
        made = make_applications(s, users, data, as_of)
        # departments' work on the measures that promise actions and lists (commitments, projects, lists, voice)
        from huiqi.delivery import demo as delivery_demo

        extra = delivery_demo.seed(s, password, policy, ent, data.get("delivery") or {}, users)
    return Seeded(
        accounts=[f"{name} ({role}{', ' + dept if dept else ''})" for name, role, dept, *_ in rows]
        + [f"{name} (reviewer, {dept})" for name, dept in extra],
        applications=made,
    )


def open_accounts(s, rows: list[tuple], password: str) -> dict[str, User]:
    """The demo's accounts (one per role), by username."""
    return {name: accounts.create_user(s, name, password, role, display_name=label, department=dept,
                                       credit_code=code, actor="demo")
            for name, role, dept, code, label in rows}


def make_applications(s, users: dict[str, User], data: dict, as_of: dt.date | None) -> list[str]:
    """The demo enterprise's applications at their stages on ``as_of``, and its stored profile (so its portal shows
    its benefits without retyping); returns a line per application for the CLI to print."""
    enterprise = data.get("enterprise") or {}
    ent = users.get(enterprise.get("username", ""))
    profile = enterprise.get("profile")
    made: list[str] = []
    for a in data.get("applications") or []:
        stage = a.get("stage", "draft")
        reach = STAGES.index(stage)
        app = service.create(s, ent, profile, a["provision"], a.get("event"), today=as_of)
        if reach >= STAGES.index("submitted"):
            service.submit(s, ent, app.id, as_of, today=as_of)
        if reach >= STAGES.index("under_review"):
            service.start_review(s, users[a["reviewer"]], app.id)
        if reach >= STAGES.index("approved"):
            service.approve(s, users[a["reviewer"]], app.id, app.entitlement_fen)
        if reach >= STAGES.index("public_notice"):
            service.publish(s, users[a["finance"]], app.id, today=as_of)
        made.append(f"#{app.id} {a.get('label', a['provision'])} {a.get('event') or ''} {STAGE_LABELS[stage]}"
                    .replace("  ", " "))
    if ent is not None and profile:
        s.add(EnterpriseProfile(credit_code=ent.credit_code, user_id=ent.id,
                                profile_json=json.dumps(profile, ensure_ascii=False)))
    return made
