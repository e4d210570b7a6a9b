"""The login page's hint on demonstration accounts, read from the demo data of the policies served (each
policy folder's ``demo.yaml``, :mod:`huiqi.workflow.demo`) — what ``huiqi demo`` creates — never written in a
template. The password is shown only when it is the platform's default; one set through HUIQI_DEMO_PASSWORD
is named, not shown."""

from __future__ import annotations

import os

from huiqi.web import i18n
from huiqi.web.render import ENV

ROLE = {"applicant": ("企业", "enterprise"), "reviewer": ("审核", "reviewer"), "finance": ("财政", "finance"),
        "admin": ("管理员", "administrator")}


def accounts(lang: str) -> str:
    """「ent-demo（企业名称）、rev-…（部门）…」 over the served policies' demo data, each username once."""
    from huiqi import policies
    from huiqi.workflow.demo import account_rows, demo_data

    seen: dict[str, str] = {}
    for policy in policies.catalogue():
        data = demo_data(policy)
        for username, role, department, _code, label in account_rows(data) + _department_rows(data):
            zh, en = ROLE.get(role, (role, role))
            if lang == "en":
                where = i18n.department(department, "en") if department else ""
                seen.setdefault(username, f"{username} ({en}{', ' + where if where else ''})")
            else:
                seen.setdefault(username, f"{username}（{department or label or zh}）")
    return (", " if lang == "en" else "、").join(seen.values())


def _department_rows(data: dict) -> list[tuple]:
    """The departments' own accounts (``delivery.accounts``: 项目库, 推介清单, 督办台账), reviewers of their department."""
    return [(a["username"], "reviewer", a.get("department"), None, a.get("display_name"))
            for a in ((data.get("delivery") or {}).get("accounts") or [])]


def password(lang: str) -> str:
    from huiqi.workflow.demo import DEFAULT_PASSWORD

    if os.environ.get("HUIQI_DEMO_PASSWORD"):
        return "as set by HUIQI_DEMO_PASSWORD" if lang == "en" else "为 HUIQI_DEMO_PASSWORD 所设"
    return DEFAULT_PASSWORD


ENV.globals["demo_accounts"] = accounts
ENV.globals["demo_password"] = password
