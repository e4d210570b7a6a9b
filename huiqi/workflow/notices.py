"""The public notice (公示) as a bureau publishes it: titled batches with a period, a way to object, a status
that ends with the period.

A batch is what finance published together: the applications of one provision of one policy whose notice began
on the same day. Its number counts that provision's batches in the year (e.g. 「…年第3批…拟兑现名单公示」), so
it is derived from the stored dates and never drifts from them. Status follows the clock: 公示中 from the first
day to the last, 公示期满 afterwards (objections close), 已拨付 once paid.

A policy year publishes ~2,000 applications, so nothing here loads every application to show a page: the
batches are counted with one GROUP BY (:func:`index`), only the batches still in notice are read item by item, and
the paid list is read a page at a time in SQL (:func:`paid_page`). :func:`batches` still gives every batch with
every item, for the Excel download.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from huiqi import clock, policies
from huiqi.storage.models import Application

PUBLISHED = ("public_notice", "disbursed")  # the statuses an application has once its notice began


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
    start: dt.date | None = None  # the day that groups it: its items' first day (or last, for rows without one)
    count: int = 0  # its items, paid or not (``items`` may be left empty by :func:`index`)
    paid: int = 0  # of them paid

    @property
    def key(self) -> str:
        return f"{self.policy_id}|{self.provision_id}|{self.notice_from}"

    @property
    def group(self) -> tuple[str, str, dt.date | None]:
        return self.policy_id, self.provision_id, self.start


def _state(count: int, paid: int, until: dt.date | None, today: dt.date) -> str:
    if paid == count:
        return "paid"
    return "running" if until is not None and today <= until else "ended"


def is_running(app: Application, today: dt.date | None = None) -> bool:
    """An application's notice runs from its first day to its last (inclusive): objections are taken then."""
    today = today or clock.today()
    return app.status == "public_notice" and (app.notice_until is None or today <= app.notice_until)


_START = func.coalesce(Application.notice_from, Application.notice_until)  # rows published before the start was kept: their last day
_ITEM_COLUMNS = (Application.id, Application.policy_id, Application.provision_id, Application.measure_id,
                 Application.status, Application.credit_code, Application.approved_fen, Application.notice_from,
                 Application.notice_until, Application.disbursed_on, Application.profile_json)


def _words(policy, measure_id: str, provision_id: str) -> tuple[str, str, str, str, str]:
    """(measure zh, measure en, provision zh, provision en, lead departments) as the notice names them."""
    m = policy.measure(measure_id)
    p = m.provision(provision_id) if m else None
    leads = [d.name for d in m.lead_departments if d.role == "lead"] if m else []
    dept = "、".join(leads or [d.name for d in m.lead_departments]) if m else ""
    return (f"{m.number}. {m.title_zh}" if m else "", f"{m.number}. {m.title_en}" if m else "",
            p.title_zh if p else "", p.title_en if p else "", dept)


def _item(a, words: tuple[str, str, str, str, str]) -> Item:
    """An item from a row of :data:`_ITEM_COLUMNS` and the words of its provision (:func:`_words`)."""
    try:
        name = json.loads(a.profile_json).get("name") or ""
    except (TypeError, ValueError, AttributeError):
        name = ""
    return Item(a.id, name, a.credit_code, a.status, a.approved_fen or 0, a.notice_from, a.notice_until,
                a.disbursed_on, *words)


class _Policies:
    """Each policy once per call, with the administrators' stored changes (:func:`policies.effective`), and the
    words of each of its provisions once."""

    def __init__(self, session: Session):
        self.session, self.cache, self.said = session, {}, {}

    def __call__(self, policy_id: str):
        if policy_id not in self.cache:
            self.cache[policy_id] = policies.effective(self.session, policy_id)
        return self.cache[policy_id]

    def item(self, a) -> Item:
        key = (a.policy_id, a.measure_id, a.provision_id)
        if key not in self.said:
            self.said[key] = _words(self(a.policy_id), a.measure_id, a.provision_id)
        return _item(a, self.said[key])


def index(session: Session, today: dt.date | None = None) -> list[Batch]:
    """Every batch ever published, newest first, with its title, period, state and counts but no items:
    one GROUP BY over the published applications, and one read of each batch's first item."""
    today = today or clock.today()
    paid = func.sum(case((Application.status == "disbursed", 1), else_=0))
    groups = session.execute(
        select(Application.policy_id, Application.provision_id, _START.label("start"), func.count(),
               paid, func.max(Application.notice_until), func.min(Application.id))
        .where(Application.status.in_(PUBLISHED))
        .group_by(Application.policy_id, Application.provision_id, _START)).all()
    firsts = {}
    ids = [g[6] for g in groups]
    for chunk in range(0, len(ids), 500):  # a batch's first item names its provision and dates it
        for r in session.execute(select(Application.id, Application.measure_id, Application.notice_from,
                                        Application.created_at).where(Application.id.in_(ids[chunk:chunk + 500]))):
            firsts[r.id] = r
    # the n-th batch of a provision in a year counts the distinct starting days before it
    days: dict[tuple, list] = {}
    for policy_id, provision_id, start, *_ in groups:
        if start is not None:
            days.setdefault((policy_id, provision_id, start.year), []).append(start)
    for v in days.values():
        v.sort()
    policy_of = _Policies(session)
    out: list[Batch] = []
    for policy_id, provision_id, start, count, n_paid, until, first_id in groups:
        first = firsts[first_id]
        policy = policy_of(policy_id)
        _, _, name_zh, name_en, dept = _words(policy, first.measure_id, provision_id)
        name_zh, name_en = name_zh or provision_id, name_en or provision_id
        year = start.year if start else (first.created_at.year if first.created_at else today.year)
        number = days[(policy_id, provision_id, year)].index(start) + 1 if start else 1
        out.append(Batch(policy_id, provision_id, number, year,
                         f"{year}年第{number}批{name_zh}拟兑现名单公示",
                         f"{name_en}: proposed awards, batch {number} of {year} — public notice",
                         first.notice_from, until, _state(count, int(n_paid or 0), until, today), dept,
                         start=start, count=count, paid=int(n_paid or 0)))
    out.sort(key=lambda b: (b.notice_from or b.notice_until or dt.date.min, b.title_zh), reverse=True)
    return out


def _on_days(chosen: list[Batch]):
    """A WHERE clause for the applications grouped on these batches' days (a superset of their items)."""
    days = sorted({b.start for b in chosen if b.start is not None})
    clauses = [_START.in_(days)] if days else []
    if any(b.start is None for b in chosen):
        clauses.append(and_(Application.notice_from.is_(None), Application.notice_until.is_(None)))
    return or_(*clauses) if clauses else false()


def _items_by_id(session: Session, ids: list[int]) -> dict[int, Any]:
    """The rows behind these items, read by id once the narrow query (on ``ix_app_published``) chose them."""
    out = {}
    for start in range(0, len(ids), 500):
        for r in session.execute(select(*_ITEM_COLUMNS).where(Application.id.in_(ids[start:start + 500]))):
            out[r.id] = r
    return out


def fill(session: Session, chosen: list[Batch]) -> list[Batch]:
    """Read the items of these batches, in the order they were approved (ids), into each batch."""
    by_group = {b.group: b for b in chosen}
    for b in chosen:
        b.items = []
    members = [(r[0], (r[1], r[2], r[3])) for r in session.execute(
        select(Application.id, Application.policy_id, Application.provision_id, _START)
        .where(Application.status.in_(PUBLISHED), _on_days(chosen)))]
    members = [m for m in members if m[1] in by_group]  # another provision's batch of the same day is not asked for
    rows = _items_by_id(session, [i for i, _ in members])
    policy_of = _Policies(session)
    for app_id, group in sorted(members):
        by_group[group].items.append(policy_of.item(rows[app_id]))
    return chosen


def batches(session: Session, today: dt.date | None = None) -> list[Batch]:
    """Every batch ever published, newest first; each with its items in the order they were approved."""
    every = index(session, today)
    by_group = {b.group: b for b in every}
    policy_of = _Policies(session)
    for r in session.execute(select(*_ITEM_COLUMNS, _START.label("start"))
                             .where(Application.status.in_(PUBLISHED)).order_by(Application.id)):
        by_group[(r.policy_id, r.provision_id, r.start)].items.append(policy_of.item(r))
    return every


def batch_ids(session: Session) -> dict[tuple, list[int]]:
    """Each batch's application ids (by :attr:`Batch.group`), in the order they were approved."""
    out: dict[tuple, list[int]] = {}
    for r in session.execute(select(Application.id, Application.policy_id, Application.provision_id, _START)
                             .where(Application.status.in_(PUBLISHED)).order_by(Application.id)):
        out.setdefault((r[1], r[2], r[3]), []).append(r[0])
    return out


def paid_page(session: Session, every: list[Batch], offset: int, limit: int) -> list[tuple[Batch, Item]]:
    """One page of the paid items with their batches, newest payment first (a batch may be paid item by item;
    undated payments last), chosen by the database (an index-only sort of the paid list) and then read by id."""
    newest = Application.disbursed_on.desc()
    if session.get_bind().dialect.name != "sqlite":  # SQLite sorts NULL lowest, so last when descending
        newest = newest.nulls_last()
    chosen = session.execute(select(Application.id, Application.policy_id, Application.provision_id, _START)
                             .where(Application.status == "disbursed")
                             .order_by(newest, Application.id.desc()).offset(offset).limit(limit)).all()
    by_group = {b.group: b for b in every}
    rows = _items_by_id(session, [r[0] for r in chosen])
    policy_of = _Policies(session)
    return [(by_group[(policy_id, provision_id, start)], policy_of.item(rows[app_id]))
            for app_id, policy_id, provision_id, start in chosen]
