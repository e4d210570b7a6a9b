"""Demo data for the delivery pages (``make run``): department accounts, the commitments ledger with a
few reports, a small project registry, a joint zone case, published list entries and enterprise-voice
problems — as the ``delivery`` part of the policy's ``demo.yaml`` gives them (see
:mod:`huiqi.workflow.demo`). A part whose feature the policy does not declare is skipped. Called by
:func:`huiqi.workflow.demo.seed` in its transaction."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from huiqi.delivery import commitments, features, lists, projects, voice, zones
from huiqi.workflow import accounts


def _day(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def seed(session: Session, password: str, policy, enterprise, data: dict | None = None,
         users: dict | None = None) -> list[tuple[str, str]]:
    """Create the delivery demo; returns the (username, department) of the department accounts created."""
    data = data or {}
    rows = [(a["username"], a["department"], a.get("display_name")) for a in data.get("accounts") or []]
    users = dict(users or {})
    for name, dept, label in rows:
        users[name] = accounts.create_user(session, name, password, "reviewer", display_name=label, department=dept,
                                           actor="demo")
    commitments.seed(session, policy)
    for r in data.get("commitment_reports") or []:
        commitments.report(session, users[r["by"]], r["commitment"], r["status"], r.get("note"), policy=policy)
    made = {}
    registry = data.get("projects") or {}
    if registry and features.has("project_registry", policy):
        keeper = users[registry["kept_by"]]
        for item in registry.get("items") or []:
            values = {"investor": str(item["name"]).replace("项目", "") + "有限公司", **(registry.get("common") or {}),
                      **item}
            made[item["code"]] = projects.create(session, keeper, values, policy)
        for m in registry.get("milestones") or []:
            projects.add_milestone(session, keeper, made[m["project"]].id, m["title"], m.get("due"), m.get("done_on"))
        for st in registry.get("plan_steps") or []:
            projects.add_plan_step(session, keeper, made[st["project"]].id, st["step"], st.get("responsible"),
                                   st.get("status", "todo"))
    if made and features.has("four_zones", policy):
        for c in data.get("zone_cases") or []:
            case = zones.file(session, users[c["filed_by"]], made[c["project"]].id, c["zone"], c["matter"])
            for st in c.get("statuses") or []:
                zones.set_status(session, users[st["by"]], case.id, st["zone"], st["status"], st.get("note"))
    entries = data.get("list_entries") or {}
    if entries and features.has("published_lists", policy):
        for item in entries.get("items") or []:
            lists.add(session, users[entries["by"]], {**(entries.get("common") or {}), **item}, policy)
    if enterprise is not None and features.has("voice_channel", policy):
        for v in data.get("voice") or []:
            t = voice.raise_ticket(session, enterprise, v["subject"], v["content"], _day(v["raised_on"]),
                                   channel=v.get("channel", "online"), measure_id=v.get("measure_id"),
                                   department=v.get("department"), policy=policy)
            if v.get("answer"):
                a = v["answer"]
                voice.answer(session, users[a["by"]], t.id, a["text"], _day(a["answered_on"]))
            if v.get("rating"):
                voice.rate(session, enterprise, t.id, int(v["rating"]))
    return [(name, dept) for name, dept, _ in rows]
