"""The public notice (公示) as a bureau publishes it: titled batches with a period, a way to object, a status
that ends with the period.

A batch is what finance published together: the applications of one provision of one policy whose notice began
on the same day. Its number counts that provision's batches in the year (e.g. 「…年第3批…拟兑现名单公示」), so
it is derived from the stored dates and never drifts from them. Status follows the clock: 公示中 from the first
day to the last, 公示期满 afterwards (objections close), 已拨付 once paid.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi import clock, policies
from huiqi.storage.models import Application


@dataclass
class Item:
    id: int
    name: str
    credit_code: str | None
    status: str  # public_notice | disbursed
    approved_fen: int
    notice_from: dt.date | None
    notice_until: dt.date | None
    disbursed_on: dt.date | None
    measure_zh: str
    measure_en: str
    provision_zh: str
    provision_en: str
    dept: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Batch:
    policy_id: str
    provision_id: str
    number: int  # the provision's n-th batch of the year
    year: int
    title_zh: str
    title_en: str
    notice_from: dt.date | None
    notice_until: dt.date | None
    state: str  # running | ended | paid
    dept: str
    items: list[Item] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.policy_id}|{self.provision_id}|{self.notice_from}"


def _state(items: list[Item], until: dt.date | None, today: dt.date) -> str:
    if all(i.status == "disbursed" for i in items):
        return "paid"
    return "running" if until is not None and today <= until else "ended"


def is_running(app: Application, today: dt.date | None = None) -> bool:
    """An application's notice runs from its first day to its last (inclusive): objections are taken then."""
    today = today or clock.today()
    return app.status == "public_notice" and (app.notice_until is None or today <= app.notice_until)


def _item(policy, a: Application) -> Item:
    try:
        name = json.loads(a.profile_json).get("name") or ""
    except (TypeError, ValueError):
        name = ""
    m = policy.measure(a.measure_id)
    p = m.provision(a.provision_id) if m else None
    leads = [d.name for d in m.lead_departments if d.role == "lead"] if m else []
    dept = "、".join(leads or [d.name for d in m.lead_departments]) if m else ""
    return Item(a.id, name, a.credit_code, a.status, a.approved_fen or 0, a.notice_from, a.notice_until,
                a.disbursed_on, f"{m.number}. {m.title_zh}" if m else "", f"{m.number}. {m.title_en}" if m else "",
                p.title_zh if p else "", p.title_en if p else "", dept)


def batches(session: Session, today: dt.date | None = None) -> list[Batch]:
    """Every batch ever published, newest first; each with its items in the order they were approved."""
    today = today or clock.today()
    rows = session.execute(select(Application).where(Application.status.in_(["public_notice", "disbursed"]))
                           .order_by(Application.id)).scalars().all()
    grouped: dict[tuple, list[Application]] = {}
    for a in rows:
        start = a.notice_from or a.notice_until  # rows published before the start was kept: their last day
        grouped.setdefault((a.policy_id, a.provision_id, start), []).append(a)
    # the n-th batch of a provision in a year counts the distinct starting days before it
    days: dict[tuple, list] = {}
    for policy_id, provision_id, start in grouped:
        if start is not None:
            days.setdefault((policy_id, provision_id, start.year), []).append(start)
    out: list[Batch] = []
    cache: dict[str, Any] = {}
    for (policy_id, provision_id, start), apps in grouped.items():
        policy = cache.get(policy_id) or cache.setdefault(policy_id, policies.effective(session, policy_id))
        items = [_item(policy, a) for a in apps]
        year = start.year if start else (apps[0].created_at.year if apps[0].created_at else today.year)
        number = sorted(set(days.get((policy_id, provision_id, year), []))).index(start) + 1 if start else 1
        until = max((a.notice_until for a in apps if a.notice_until), default=None)
        name_zh = items[0].provision_zh or provision_id
        name_en = items[0].provision_en or provision_id
        out.append(Batch(policy_id, provision_id, number, year,
                         f"{year}年第{number}批{name_zh}拟兑现名单公示",
                         f"{name_en}: proposed awards, batch {number} of {year} — public notice",
                         apps[0].notice_from, until, _state(items, until, today), items[0].dept, items))
    out.sort(key=lambda b: (b.notice_from or b.notice_until or dt.date.min, b.title_zh), reverse=True)
    return out
