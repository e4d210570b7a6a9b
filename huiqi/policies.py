"""Which policy, with which figures, and in what state: the one owner of "the policy".

Every path that prices a claim — the CLI, the API, the pages, the screen, what-if runs, 免申即享 offers,
the workflow — takes its policy from here, so the same claim gets the same money whichever door it
comes through. The policy is the data folder (:mod:`huiqi.catalogue`) with the administrators' stored
changes applied by :meth:`Policy.with_changes` — the same operation a what-if or a test case uses.

It also answers the questions of a policy's life: is it in force on a date (未施行 / 施行中 / 已失效),
which date should an answer be computed for when none is given, and may a new application be lodged
today (the 申报期, by default the policy's period of validity).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.rules.changes import Change
from huiqi.rules.loader import Policy


class UnknownPolicy(LookupError):
    """No policy of that id is served; ``known`` lists the ones that are."""

    def __init__(self, policy_id: str, known: list[str]):
        super().__init__(f"未知的政策“{policy_id}”（可选：{'、'.join(known)}）/ unknown policy '{policy_id}' "
                         f"(known: {', '.join(known)})")
        self.policy_id, self.known, self.field = policy_id, known, "policy"


def load(policy_id: str | None = None) -> Policy:
    """A policy as its files say, with no stored change (loaded and validated once per process);
    None is the default policy (the first of the catalogue's index)."""
    from huiqi.catalogue import get_policy

    try:
        return get_policy(policy_id.strip() if policy_id else None)
    except KeyError:
        raise UnknownPolicy(str(policy_id), ids()) from None


def catalogue() -> tuple[Policy, ...]:
    """Every policy served, the default first."""
    from huiqi.catalogue import all_policies

    return all_policies()


def ids() -> list[str]:
    return [p.header.id for p in catalogue()]


def is_default(policy: Policy) -> bool:
    return policy.header.id == catalogue()[0].header.id


# -- keys in storage: unique across policies -----------------------------------------------------------

def pool_key(policy: Policy, pool_id: str) -> str:
    """A pool's key in the ledger: ``<policy id>/<pool id>`` (two notices may both name m07.compute_voucher_pool)."""
    return f"{policy.header.id}/{pool_id}"


def cap_key(policy_id: str, provision_id: str) -> str:
    """A yearly cap's key: ``<policy id>/<provision id>``."""
    return f"{policy_id}/{provision_id}"


def pools_of(policy: Policy) -> list[tuple[str, object]]:
    """(ledger key, pool) for each of the policy's pools."""
    return [(pool_key(policy, p.id), p) for m in policy.measures for p in m.pools]


# -- stored changes ------------------------------------------------------------------------------------

def stored_changes(session: Session, policy_id: str) -> list[Change]:
    """The administrators' changes to one policy, oldest first, as :class:`Change` objects."""
    from huiqi.storage.models import ParameterChange

    rows = session.execute(select(ParameterChange.id, ParameterChange.provision_id, ParameterChange.parameter,
                                  ParameterChange.value_text, ParameterChange.effective_from, ParameterChange.actor)
                           .where(ParameterChange.policy_id == policy_id).order_by(ParameterChange.id)).all()
    return [Change(f"{r.provision_id}.{r.parameter}", r.value_text, r.effective_from, f"#{r.id} {r.actor}")
            for r in rows]


_CACHE: dict[tuple, Policy] = {}


def effective(session: Session, policy_id: str | None = None) -> Policy:
    """The policy with every stored change applied (cached by the changes' content, so two databases'
    changes are never mixed up); each policy has its own changes."""
    base = load(policy_id)
    changes = stored_changes(session, base.header.id)
    if not changes:
        return base
    key = (base.version, tuple(changes))
    policy = _CACHE.get(key)
    if policy is None:
        last_id = changes[-1].label.split()[0].lstrip("#")
        policy = base.with_changes(changes, tag=f"p{last_id}")
        if len(_CACHE) > 8:
            _CACHE.clear()
        _CACHE[key] = policy
    return policy


_RECENT: dict[tuple[int, str], tuple[float, Policy]] = {}
RECENT_SECONDS = 2.0


def recent(db, policy_id: str | None = None) -> Policy:
    """:func:`effective` for hot paths (the calculator, the API): looked up at most every RECENT_SECONDS per
    database and process, so an evaluation does not open a transaction (on SQLite, a write lock). A change
    made in this process is seen at once (:func:`forget_recent`); other processes see it within two seconds."""
    key = (id(db), load(policy_id).header.id)
    now = time.monotonic()
    hit = _RECENT.get(key)
    if hit is not None and now - hit[0] < RECENT_SECONDS:
        return hit[1]
    with db.transaction() as s:
        policy = effective(s, policy_id)
    _RECENT[key] = (now, policy)
    return policy


def forget_recent() -> None:
    _RECENT.clear()


def configured_database():
    """The workflow database a command-line run should read changes from: the one HUIQI_DATABASE_URL names,
    else the default SQLite file when it exists; None when there is none (a fresh checkout)."""
    from huiqi.storage.db import DEFAULT_URL, Database

    if not os.environ.get("HUIQI_DATABASE_URL") and not Path(DEFAULT_URL.split("///", 1)[1]).exists():
        return None
    return Database()


def for_command_line(policy_id: str | None = None) -> tuple[Policy, str | None]:
    """The policy a command uses, and where its changes came from (None: no database configured).
    A database that is configured but cannot be read is an error, not a silent fall-back to the files."""
    from sqlalchemy import inspect

    from huiqi.storage.db import database_url

    policy = load(policy_id)
    db = configured_database()
    if db is None:
        return policy, None
    try:
        if not inspect(db.engine).has_table("parameter_changes"):
            return policy, database_url().split("@")[-1]
        with db.transaction() as s:
            return effective(s, policy_id), database_url().split("@")[-1]
    finally:
        db.engine.dispose()


# -- a policy's life -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Lifecycle:
    """A policy's state on a day: ``not_yet`` (未施行), ``in_force`` (施行中) or ``expired`` (已失效)."""

    code: str
    day: dt.date
    start: dt.date
    end: dt.date

    @property
    def label_zh(self) -> str:
        return {"not_yet": "未施行", "in_force": "施行中", "expired": "已失效"}[self.code]

    @property
    def label_en(self) -> str:
        return {"not_yet": "not yet in force", "in_force": "in force", "expired": "expired"}[self.code]

    def as_dict(self) -> dict:
        return {"code": self.code, "label_zh": self.label_zh, "label_en": self.label_en, "on": self.day,
                "start": self.start, "end": self.end}


def _cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def status(policy: Policy, day: dt.date) -> Lifecycle:
    period = policy.header.general.in_force
    code = "not_yet" if day < period.start else "expired" if day > period.end else "in_force"
    return Lifecycle(code, day, period.start, period.end)


def default_date(policy: Policy, today: dt.date | None = None) -> dt.date:
    """The date an answer is computed for when none is given: today while the policy is in force, its last
    day once it has ended, its first day before it starts."""
    from huiqi import clock

    day = today or clock.today()
    period = policy.header.general.in_force
    return min(max(day, period.start), period.end)


def date_note(policy: Policy, as_of: dt.date, today: dt.date | None = None) -> tuple[str, str] | None:
    """What to say up front about the policy's state, in Chinese and English; None while it is in force
    and the answer is for today."""
    from huiqi import clock

    today = today or clock.today()
    now, period = status(policy, today), policy.header.general.in_force
    if now.code == "expired":
        zh = f"本政策已于{_cn(period.end)}到期；以下为按{_cn(as_of)}计算的结果"
        en = f"This policy expired on {period.end.isoformat()}; the results below are computed for {as_of.isoformat()}"
        if as_of == period.end:
            zh, en = (f"本政策已于{_cn(period.end)}到期；以下为按到期日计算的结果",
                      f"This policy expired on {period.end.isoformat()}; the results below are computed for its last day")
        return zh, en
    if now.code == "not_yet":
        return (f"本政策自{_cn(period.start)}起施行；以下为按{_cn(as_of)}计算的结果",
                f"This policy takes effect on {period.start.isoformat()}; the results below are computed for {as_of.isoformat()}")
    if as_of != today:
        return (f"以下为按{_cn(as_of)}计算的结果（本政策施行中，有效期至{_cn(period.end)}）",
                f"The results below are computed for {as_of.isoformat()} (the policy is in force until {period.end.isoformat()})")
    return None


def answer_status(policy: Policy, as_of: dt.date, today: dt.date | None = None) -> dict:
    """What an answer says up front about the policy: its state today and the note on the date used."""
    from huiqi import clock

    note = date_note(policy, as_of, today)
    return {**status(policy, today or clock.today()).as_dict(), "computed_for": as_of,
            "note_zh": note[0] if note else None, "note_en": note[1] if note else None}


@dataclass(frozen=True)
class Window:
    """The 申报期 of a provision: new applications are accepted from ``start`` to ``end`` (both included)."""

    start: dt.date
    end: dt.date
    citation: tuple[str, ...]

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def application_window(policy: Policy, provision_id: str) -> Window:
    """The provision's own 申报期 where the data gives one, else the policy's: by default the period of
    validity (本文自印发之日起执行……有效期至…): once the policy has lapsed, nothing new is granted under it."""
    measure = policy.measure(provision_id.split(".")[0])
    provision = measure.provision(provision_id) if measure else None
    general = policy.header.general
    period = (getattr(provision, "application_window", None) or general.application_window or general.in_force)
    return Window(period.start, period.end, tuple(period.citation))


class OutsideWindow(ValueError):
    """A new application outside its provision's 申报期."""

    def __init__(self, provision_id: str, window: Window, today: dt.date):
        self.field = "provision_id"
        when = "已结束" if today > window.end else "尚未开始"
        when_en = "has ended" if today > window.end else "has not begun"
        super().__init__(f"申报期{when}：本条款受理新申请的期间为{_cn(window.start)}至{_cn(window.end)}，"
                         f"今天是{_cn(today)}；已提交的申请照常办理 / the application period {when_en}: new "
                         f"applications for {provision_id} are accepted {window.start} to {window.end} (today is "
                         f"{today}); applications already made continue")


def check_window(policy: Policy, provision_id: str, today: dt.date | None = None) -> None:
    """Raise :class:`OutsideWindow` unless a new application for ``provision_id`` may be made today."""
    from huiqi import clock

    day = today or clock.today()
    window = application_window(policy, provision_id)
    if not window.contains(day):
        raise OutsideWindow(provision_id, window, day)
