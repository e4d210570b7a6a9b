"""Replay a policy's whole year on a synthetic city, through the platform's own services (``huiqi demo``).

A first visitor should see what the platform does at the scale of a city: pools filling (one running out),
awards by month, district and measure, 公示 batches, objections, disbursements, 免申即享 offers, enterprise
voice and departments' progress. Nothing here writes a table itself: a deterministic synthetic registry
(:mod:`huiqi.batch.synth`) is screened by the data bureau each quarter (:mod:`huiqi.workflow.offers`),
enterprises confirm offers or apply themselves, reviewers of each lead department decide, finance publishes
weekly batches and pays — each step the same service function the pages and the API call, run at a
working-day office hour of the policy year under :func:`huiqi.clock.replaying`, so every stored time, audit
entry and business date is the replayed one. The audit chain verifies and the ledger reconciles afterwards.

Only proportions and wording that hold for any notice live here; what is a policy's own (its period, pools,
departments, registry, demo accounts) comes from its folder.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import itertools
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
from sqlalchemy import select

from huiqi import clock, policies
from huiqi.storage.db import Database
from huiqi.storage.models import Application, Offer, Pool, User
from huiqi.workflow import accounts, evidence, offers, service
from huiqi.workflow.states import TransitionError

SIZES = {"full": 50_000, "small": 3_000}  # registry entities
SCREEN_EVERY_MONTHS = 3  # the data bureau screens the registry on the first working day of each quarter's last month
TAKE_UP = {"self": 0.45, "offer": 0.40}  # the rest never claims (an offer may stay unconfirmed)
OUTCOMES = (("approve", 0.83), ("partial", 0.05), ("return", 0.07), ("reject", 0.05))
OBJECTED = 0.03  # of published items, an objection is lodged; a third of those is upheld
RETURN_REASONS = ("申报材料不完整，请补充上传相关合同和发票复印件",
                  "申报金额与发票金额不一致，请核对后重新提交",
                  "请补充加盖公章的申报承诺书")
REJECT_REASONS = ("经核查，申报事项不在本政策支持范围内",
                  "申报主体存在严重失信记录，不予支持",
                  "同一事项已获其他财政资金支持，按就高不重复原则不予重复支持")
PARTIAL_OPINION = "经审核，部分费用票据不符合要求，按核实金额核定"
YEAR_TOTAL_OPINION = "按本年度各笔合计金额（合计后四舍五入一次）核定"
POOL_EMPTY = "该项专项资金已安排完毕，本批次不予安排"
UPHELD = "公示期间收到异议，经核实情况属实，不予兑现"
OBJECTION = "该企业申报的事项与实际经营情况不符，请核实"
VOICE_SHARE = 0.06  # of claimants, one raises a question or a problem through 政企沟通
VOICE_ANSWER = ((0.80, 1, 5), (0.10, 6, 15))  # share answered, within lo..hi working days; the rest never (督办)
VOICE_SUBJECT = "关于“{title}”的咨询"
VOICE_CONTENT = "我单位拟申报“{provision}”，请问申报条件如何认定、需要准备哪些材料、预计多久可以办结？"
VOICE_ANSWER_TEXT = ("您好！“{provision}”的支持条件和标准以政策原文为准，可先通过平台“政策计算器”测算，"
                     "符合条件的在申报期内在线提交申请并上传材料，我局将在规定时限内办结。感谢您的关注。")
REPORT_NOTES = {"in_progress": ("已制定工作方案，正在组织实施", "已召开专题会议部署，按计划推进",
                                "已完成阶段性工作，正在推进后续事项"),
                "done": ("已按要求完成，相关材料已归档备查", "工作已完成，成效已报市政府")}
REPORTING = 0.8  # of commitments, their department reports on them; the rest show as overdue at the end
SCAN = b"%PDF-1.4\n% a scanned page of the demo city\n%%EOF\n"  # every demo upload: one small stored file


@dataclass
class Replayed:
    """What a replay did: counts a person can check against the pages."""

    registry: int = 0
    accounts: list[str] = field(default_factory=list)  # the demo's accounts, for the CLI to print
    offers: int = 0
    applications: Counter = field(default_factory=Counter)  # by final status
    objections: int = 0
    demo_applications: list[str] = field(default_factory=list)
    pool_empty_on: dict[str, dt.date] = field(default_factory=dict)
    refused: Counter = field(default_factory=Counter)  # service refusals met (each handled as a bureau would)
    seconds: float = 0.0


def working_days(start: dt.date, end: dt.date) -> list[dt.date]:
    days, d = [], start
    while d <= end:
        if service.is_working_day(d, provisional_ok=True):
            days.append(d)
        d += dt.timedelta(days=1)
    return days


class _Year:
    """The replay's calendar: the policy's working days and office hours, and the queue of what happens when."""

    def __init__(self, start: dt.date, end: dt.date, rng: np.random.Generator):
        self.days = working_days(start, end)
        self.index = {d: i for i, d in enumerate(self.days)}
        self.rng = rng
        self.queue: list[tuple[dt.datetime, int, Callable, tuple]] = []
        self.seq = itertools.count()

    def on_or_after(self, d: dt.date) -> int | None:
        i = bisect.bisect_left(self.days, d)
        return i if i < len(self.days) else None

    def later(self, d: dt.date, lo: int, hi: int) -> dt.date | None:
        """A working day ``lo``..``hi`` working days after ``d`` (None past the year's end)."""
        i = self.on_or_after(d)
        if i is None:
            return None
        j = i + int(self.rng.integers(lo, hi + 1))
        return self.days[j] if j < len(self.days) else None

    def at(self, d: dt.date, fn: Callable, *args: Any, hour: tuple[int, int] = (9, 17)) -> None:
        """Schedule ``fn(session, *args)`` at an office hour of ``d`` (Beijing time)."""
        minute = int(self.rng.integers(hour[0] * 60, hour[1] * 60 + 30))
        heapq.heappush(self.queue, (dt.datetime.combine(d, dt.time(minute // 60, minute % 60)), next(self.seq), fn, args))


class _City:
    """The replay's actors and what they do; each method is one person's action through one service call."""

    def __init__(self, policy, year: _Year, registry: Path, profiles: dict[str, dict], names: dict[str, str],
                 finance: int, reviewers: dict[str, int], done: Replayed):
        self.policy, self.year, self.registry = policy, year, registry
        self.profiles, self.names = profiles, names
        self.finance, self.reviewers, self.done = finance, reviewers, done
        self.enterprises: dict[str, int] = {}  # credit code → account id, once an action after its opening found it
        self.rng = year.rng

    # -- accounts --------------------------------------------------------------------------------------------
    def user(self, s, user_id: int) -> User:
        """An account, read once per day's session and kept for it: the session's identity map holds objects
        weakly, so each action would otherwise read the same reviewer, finance officer or enterprise again."""
        kept = s.info.setdefault("replay_users", {})
        found = kept.get(user_id)
        if found is None:
            found = kept[user_id] = s.get(User, user_id)
        return found

    def _enterprise(self, s, code: str) -> User:
        """The enterprise's account, opened (without a password) the first time it claims anything."""
        if code in self.enterprises:
            return self.user(s, self.enterprises[code])
        found = s.execute(select(User).where(User.credit_code == code, User.role == "applicant")).scalars().first()
        if found is not None:  # found by a later action: its savepoint, and so the account, is kept
            self.enterprises[code] = found.id
            return self.user(s, found.id)
        return accounts.create_user(s, f"ent-{code}", None, "applicant", display_name=self.names[code],
                                    credit_code=code, actor="demo")

    def apply(self, s, code: str, provision_id: str, event_id: str | None) -> None:
        """The enterprise applies itself (政策计算器 → 申请), or confirms the offer if the bureau has made one."""
        if _live(s, self.policy.header.id, code, provision_id, event_id):
            return
        user = self._enterprise(s, code)
        offer = s.execute(select(Offer).where(Offer.credit_code == code, Offer.provision_id == provision_id,
                                              Offer.status == "offered",
                                              Offer.event_id.is_(None) if event_id is None else Offer.event_id == event_id)
                          ).scalars().first()
        if offer is not None:
            app = offers.confirm(s, user, offer.id, clock.today())
        else:
            app = service.create(s, user, self.profiles[code], provision_id, event_id, policy_id=self.policy.header.id)
            for m in evidence.materials_of(app):  # one scanned file per listed material, as the upload form takes it
                evidence.add(s, user.username, app.id, f"{m.zh}.pdf", SCAN, m.id)
            service.submit(s, user, app.id)
        self._to_review(app)

    def screen(self, s) -> None:
        """The data bureau screens the registry (免申即享); enterprises confirm part of what is offered."""
        made = offers.create_from_registry(s, self.registry, clock.today(), actor="data-bureau",
                                           policy_id=self.policy.header.id)
        self.done.offers += made
        new = s.execute(select(Offer).where(Offer.policy_id == self.policy.header.id, Offer.as_of == clock.today(),
                                            Offer.status == "offered")).scalars().all()
        for o in new:
            if self.rng.random() < TAKE_UP["offer"] / (1 - TAKE_UP["self"]):
                day = self.year.later(clock.today(), 1, 12)
                if day is not None:
                    self.year.at(day, self.confirm, o.id)

    def confirm(self, s, offer_id: int) -> None:
        o = s.get(Offer, offer_id)
        if o.status != "offered" or _live(s, o.policy_id, o.credit_code, o.provision_id, o.event_id):
            return
        app = offers.confirm(s, self._enterprise(s, o.credit_code), o.id, clock.today())
        self._to_review(app)

    def demo_enterprise(self, s, data: dict) -> None:
        """The demo enterprise's applications at their stages on the demo's day (its ``demo.yaml``)."""
        from huiqi.workflow import demo

        names = [r[0] for r in demo.account_rows(data)]
        users = {u.username: u for u in s.execute(select(User).where(User.username.in_(names))).scalars()}
        self.done.demo_applications = demo.make_applications(s, users, data, clock.today())

    def resubmit(self, s, app_id: int) -> None:
        """Returned for more material: the enterprise uploads what its list asks and submits again."""
        app = s.get(Application, app_id)
        user = self.user(s, app.applicant_id)
        for m in evidence.missing(s, app):
            evidence.add(s, user.username, app.id, f"{m.zh}.pdf", SCAN, m.id)
        service.submit(s, user, app.id)
        self._to_review(app)

    # -- reviewers -------------------------------------------------------------------------------------------
    def _reviewer(self, s, app: Application) -> User:
        for dept in service._lead_departments(app):
            if dept in self.reviewers:
                return self.user(s, self.reviewers[dept])
        raise LookupError(f"no reviewer for {app.measure_id}")

    def _to_review(self, app: Application) -> None:
        day = self.year.later(clock.today(), 1, 4)
        if day is not None:
            self.year.at(day, self.start_review, app.id)

    def start_review(self, s, app_id: int) -> None:
        app = s.get(Application, app_id)
        service.start_review(s, self._reviewer(s, app), app.id)
        day = self.year.later(clock.today(), 2, 10)
        if day is not None:
            self.year.at(day, self.decide, app.id)

    def decide(self, s, app_id: int) -> None:
        app = s.get(Application, app_id)
        reviewer = self._reviewer(s, app)
        roll, outcome = self.rng.random(), "approve"
        for name, share in OUTCOMES:
            if roll < share:
                outcome = name
                break
            roll -= share
        if outcome == "return" and app.status == "under_review" and not _was_returned(s, app):
            service.return_for_more(s, reviewer, app.id, RETURN_REASONS[int(self.rng.integers(len(RETURN_REASONS)))])
            day = self.year.later(clock.today(), 3, 10)
            if day is not None:
                self.year.at(day, self.resubmit, app.id)
            return
        if outcome == "reject":
            service.reject(s, reviewer, app.id, REJECT_REASONS[int(self.rng.integers(len(REJECT_REASONS)))])
            return
        amount, opinion = app.entitlement_fen, None
        if not amount:
            return  # the text states no figure: left under review for the department to set
        if outcome == "partial" and amount >= 200:
            amount, opinion = amount * int(self.rng.integers(60, 96)) // 100, PARTIAL_OPINION
        if app.cap_year is not None and app.credit_code:  # as the review page says it: the year's total rounded once
            counted, total = service._year_total(s, app)
            if counted + amount > total:
                amount, opinion = total - counted, YEAR_TOTAL_OPINION
                if amount <= 0:
                    service.reject(s, reviewer, app.id, YEAR_TOTAL_OPINION)
                    return
        left = _pool_left(s, app.pool_id)
        if left is not None and left < amount:
            if left <= 0:
                self.done.pool_empty_on.setdefault(app.pool_id, clock.today())
                service.reject(s, reviewer, app.id, POOL_EMPTY)
                return
            amount, opinion = left, f"{POOL_EMPTY.split('，')[0]}前的剩余额度，按剩余额度核定"
        service.approve(s, reviewer, app.id, amount, opinion)

    # -- finance and the public --------------------------------------------------------------------------------
    def publish_week(self, s) -> None:
        """Finance publishes every approved application in this week's 公示 batches; pays after each notice."""
        finance = self.user(s, self.finance)
        approved = s.execute(select(Application.id).where(Application.status == "approved",
                                                          Application.policy_id == self.policy.header.id)
                             .order_by(Application.id)).scalars().all()
        for app_id in approved:
            app = service.publish(s, finance, app_id)
            if self.rng.random() < OBJECTED:
                day = self.year.later(clock.today(), 1, 3)
                if day is not None and day <= app.notice_until:
                    self.year.at(day, self.object_to, app.id)
            day = self.year.later(app.notice_until, 2, 8)
            if day is not None:
                self.year.at(day, self.pay, app.id)

    def object_to(self, s, app_id: int) -> None:
        service.object_to(s, app_id, "138****" + str(int(self.rng.integers(1000, 9999))), OBJECTION)
        self.done.objections += 1
        if self.rng.random() < 1 / 3:  # upheld by the department after checking, before the notice ends
            app = s.get(Application, app_id)
            self.year.at(min(self.year.later(clock.today(), 1, 1) or app.notice_until, app.notice_until),
                         self.uphold, app_id)

    def uphold(self, s, app_id: int) -> None:
        app = s.get(Application, app_id)
        if app.status == "public_notice":
            service.reject(s, self._reviewer(s, app), app.id, UPHELD)

    def pay(self, s, app_id: int) -> None:
        app = s.get(Application, app_id)
        if app.status != "public_notice":
            return
        voucher = f"{clock.today().year}-BF-{app.id:06d}"
        service.disburse(s, self.user(s, self.finance), app.id, voucher=voucher)


class _Delivery:
    """The departments' side of the year: questions answered (some late, some escalated) and progress reported."""

    def __init__(self, city: _City):
        self.city, self.year, self.rng = city, city.year, city.rng

    def raise_ticket(self, s, code: str, measure_id: str, provision_id: str) -> None:
        from huiqi.delivery import voice

        policy = self.city.policy
        m = policy.measure(measure_id)
        p = m.provision(provision_id)
        t = voice.raise_ticket(s, self.city._enterprise(s, code), VOICE_SUBJECT.format(title=m.title_zh),
                               VOICE_CONTENT.format(provision=p.title_zh), clock.today(), measure_id=measure_id,
                               policy=policy)
        roll = self.rng.random()
        for share, lo, hi in VOICE_ANSWER:
            if roll < share:
                day = self.year.later(clock.today(), lo, hi)
                if day is not None:
                    self.year.at(day, self.answer, t.id, p.title_zh)
                return
            roll -= share

    def answer(self, s, ticket_id: int, provision_title: str) -> None:
        from huiqi.delivery import voice
        from huiqi.storage.models_delivery import VoiceTicket

        t = s.get(VoiceTicket, ticket_id)
        who = self.city.reviewers.get(t.department)
        if who is None or t.status != "open":
            return
        voice.answer(s, self.city.user(s, who), t.id, VOICE_ANSWER_TEXT.format(provision=provision_title), clock.today())
        if self.rng.random() < 0.6:
            voice.rate(s, self.city.user(s, t.raised_by), t.id, int(self.rng.choice([3, 4, 5, 5, 5])))

    def escalate(self, s) -> None:
        from huiqi.delivery import voice

        voice.escalate_overdue(s, clock.today())

    def report(self, s, commitment_id: str, status: str) -> None:
        from huiqi.delivery import commitments

        c = commitments.find(s, self.city.policy, commitment_id)
        who = next((self.city.reviewers[d] for d in commitments.departments(c) if d in self.city.reviewers), None)
        if who is None or c.status == "done":
            return
        notes = REPORT_NOTES[status]
        commitments.report(s, self.city.user(s, who), commitment_id, status, notes[int(self.rng.integers(len(notes)))],
                           policy=self.city.policy)

    def introduce_project(self, s, keeper: int, values: dict) -> None:
        from huiqi.delivery import projects

        projects.create(s, self.city.user(s, keeper), {**values, "introduced_on": clock.today()}, self.city.policy)

    def list_entry(self, s, by: int, values: dict) -> None:
        from huiqi.delivery import lists

        entry = lists.add(s, self.city.user(s, by), values, self.city.policy)
        lists.publish(s, self.city.user(s, by), entry.id, clock.today())

    def registers(self, spec: dict, share: float, users: dict[str, int], districts: list[str]) -> None:
        """The year's projects introduced and list entries published, as the policy's demo file draws them."""
        from huiqi.delivery import features

        days, rng, policy = self.year.days, self.rng, self.city.policy
        p = spec.get("projects") or {}
        if p and features.has("project_registry", policy) and p.get("kept_by") in users:
            lo, hi = (float(x) for x in p["investment"])
            origins, stages = p["origins"], p["stages"]
            for n in range(1, max(1, round(int(p["count"]) * share)) + 1):
                chain, kind = rng.choice(p["chains"]), rng.choice(p["kinds"])
                fen = int(np.exp(rng.uniform(np.log(lo), np.log(hi)))) // 100_000 * 10_000_000  # 十万元 steps
                values = {"code": f"{days[0].year}-YJ-{n:03d}", "name": f"{chain}{kind}（第{n}号）",
                          "investor": f"{chain}示例投资有限公司", "chain": chain, "measures": p.get("measures"),
                          "investor_origin": rng.choice(list(origins), p=_shares(origins)),
                          "stage": rng.choice(list(stages), p=_shares(stages)),
                          "total_investment": f"{fen // 100}.{fen % 100:02d}", "district": rng.choice(districts)}
                self.year.at(days[int(rng.integers(len(days)))], self.introduce_project, users[p["kept_by"]], values)
        e = spec.get("list_entries") or {}
        if e and features.has("published_lists", policy) and e.get("by") in users:
            lo, hi = (float(x) for x in e["investment"])
            kinds = e["kinds"]
            for n in range(1, max(1, round(int(e["count"]) * share)) + 1):
                kind = list(kinds)[int(rng.integers(len(kinds)))]
                fen = int(np.exp(rng.uniform(np.log(lo), np.log(hi)))) // 100_000 * 10_000_000
                district = rng.choice(districts)
                values = {"kind": kind, "name": f"{rng.choice(kinds[kind])}（{n}）", "district": district,
                          "investment": f"{fen // 100}.{fen % 100:02d}"}
                self.year.at(days[int(rng.integers(len(days)))], self.list_entry, users[e["by"]], values)

    def plan(self, claims: list[tuple], commitment_ids: list[str]) -> None:
        """Schedule the year's questions (from claimants) and progress reports (each quarter, some never)."""
        days = self.year.days
        for code, provision_id, *_ in claims:
            if self.rng.random() < VOICE_SHARE:
                self.year.at(days[int(self.rng.integers(len(days)))], self.raise_ticket, code,
                             provision_id.split(".")[0], provision_id)
        for d in days:
            if d.weekday() == 0:
                self.year.at(d, self.escalate, hour=(8, 8))
        quarters = [d for i, d in enumerate(days) if i == 0 or days[i - 1].month != d.month][2::3]
        for cid in commitment_ids:
            if self.rng.random() >= REPORTING:
                continue
            finish = int(self.rng.integers(1, len(quarters) + 2))  # the quarter it is done in (past the end: not yet)
            for q, d in enumerate(quarters, 1):
                day = self.year.later(d, 0, 10)
                if day is not None:
                    self.year.at(day, self.report, cid, "done" if q >= finish else "in_progress")
                if q >= finish:
                    break


def _shares(weights: dict) -> list[float]:
    total = sum(float(v) for v in weights.values())
    return [float(v) / total for v in weights.values()]


def _live(s, policy_id: str, code: str, provision_id: str, event_id: str | None) -> bool:
    """Whether the enterprise already has a live application for this claim (it applied itself, say)."""
    key = service.claim_key(policy_id, provision_id, event_id, code, 0)
    return s.execute(select(Application.id).where(Application.claim_key == key)).first() is not None


def _was_returned(s, app: Application) -> bool:
    from huiqi.storage.models import ApplicationEvent

    return s.execute(select(ApplicationEvent.id).where(ApplicationEvent.application_id == app.id,
                                                       ApplicationEvent.to_status == "returned")).first() is not None


def _pool_left(s, pool_id: str | None) -> int | None:
    if not pool_id:
        return None
    p = s.get(Pool, pool_id)
    return None if p is None else p.total_fen - p.reserved_fen - p.settled_fen


def _claims(registry: Path, policy, end: dt.date) -> tuple[list[tuple], dict[str, dict], dict[str, str]]:
    """Every entitlement with money the registry holds by the year's end: (code, provision, event, event date),
    with each claimant's profile (as the offers carry it) and name."""
    rows, found = offers.screen_registry(registry, policy, end)
    profiles: dict[str, dict] = {}
    names: dict[str, str] = {}
    claims = []
    for entity_id, code, name, provision_id, event_id, _fen in rows:
        if code not in profiles:
            profiles[code], names[code] = found[entity_id], name
        claims.append((code, provision_id, event_id, _event_date(profiles[code], event_id)))
    return claims, profiles, names


def _event_date(profile: dict, event_id: str | None) -> dt.date | None:
    for value in profile.values():
        if isinstance(value, list):
            for e in value:
                if isinstance(e, dict) and e.get("id") == event_id and e.get("date"):
                    return dt.date.fromisoformat(str(e["date"]))
    return None


def _reviewers(s, policy) -> dict[str, User]:
    """One reviewer per lead department: the demo's own, else a new account without a password (``rev-01`` …;
    an administrator sets one with ``huiqi users reset-password`` to sign in as that department)."""
    by_dept = {u.department: u for u in s.execute(select(User).where(User.role == "reviewer")).scalars()}
    known = set(accounts.known_departments())
    n = 0
    for dept in sorted({d.name for m in policy.measures for d in m.lead_departments} & known):
        if dept not in by_dept:
            n += 1
            by_dept[dept] = accounts.create_user(s, f"rev-{n:02d}", None, "reviewer", display_name=f"{dept}审核员",
                                                 department=dept, actor="demo")
    return by_dept


def replay(db: Database, policy=None, size: str = "full", seed: int = 7, password: str | None = None,
           progress: Callable[[int, int, dt.date], None] | None = None) -> Replayed:
    """Replay ``policy``'s year (the default policy when None) on a registry of ``SIZES[size]`` entities, into a
    database without the demo's accounts. The demo's accounts (``password``: HUIQI_DEMO_PASSWORD or the demo's
    default) do the departments' work; the city's enterprises get accounts without a password."""
    import os
    from huiqi.batch import synth
    from huiqi.workflow import demo

    started = time.perf_counter()
    policy = policy or policies.load()
    password = password or os.environ.get("HUIQI_DEMO_PASSWORD", demo.DEFAULT_PASSWORD)
    period = policy.header.general.in_force
    rng = np.random.default_rng(seed)
    year = _Year(period.start, period.end, rng)
    done = Replayed(registry=SIZES[size])
    with tempfile.TemporaryDirectory(prefix="huiqi-replay-") as tmp:
        registry = Path(tmp)
        data = demo.demo_data(policy)
        shares = (data.get("replay") or {}).get("event_shares")  # a city busier with some kinds than synth's default
        synth.write(synth.generate(SIZES[size], seed, policy, shares=shares), registry)
        claims, profiles, names = _claims(registry, policy, period.end)
        rows = demo.account_rows(data)
        with clock.replaying(dt.datetime.combine(year.days[0], dt.time(9, 0))), db.transaction() as s:
            from huiqi.delivery import demo as delivery_demo
            from huiqi.workflow import ledger

            ledger.ensure_pools(s, policy)
            users = demo.open_accounts(s, rows, password)
            ent = users.get((data.get("enterprise") or {}).get("username", ""))
            extra = delivery_demo.seed(s, password, policy, ent, data.get("delivery") or {}, users)
            made = _reviewers(s, policy)
            reviewers = {d: u.id for d, u in made.items()}
            finance = s.execute(select(User.id).where(User.role == "finance")).scalars().first()
            done.accounts = ([f"{name} ({role}{', ' + dept if dept else ''})" for name, role, dept, *_ in rows]
                             + [f"{name} (reviewer, {dept})" for name, dept in extra]
                             + [f"{u.username} (reviewer, {d}, 未设密码 no password)" for d, u in made.items()
                                if u.username not in users and all(u.username != n for n, _ in extra)])
        city = _City(policy, year, registry, profiles, names, finance, reviewers, done)
        story = dt.date.fromisoformat(str(data["as_of"])) if data.get("as_of") else None
        if story is not None and period.start <= story <= period.end:  # the demo enterprise's own applications
            year.at(story, city.demo_enterprise, data, hour=(10, 10))
        with db.transaction() as s:
            from huiqi.delivery import commitments

            cids = [c.id.split("/", 1)[1] for c in commitments.listing(s, period.start, policy=policy)]
        delivery = _Delivery(city)
        delivery.plan(claims, cids)
        with db.transaction() as s:
            named = {u.username: u.id for u in s.execute(select(User).where(User.role == "reviewer")).scalars()}
        districts = sorted({str(p.get("district")) for p in profiles.values() if p.get("district")})
        delivery.registers(data.get("replay") or {}, SIZES[size] / SIZES["full"], named, districts)
        for code, provision_id, event_id, on in claims:
            if rng.random() < TAKE_UP["self"]:
                day = year.later(max(on or period.start, period.start), 3, 25)
                if day is not None:
                    year.at(day, city.apply, code, provision_id, event_id)
        for i, d in enumerate(year.days):
            if d.day <= 7 and d.month % SCREEN_EVERY_MONTHS == 0 and (i == 0 or year.days[i - 1].month != d.month):
                year.at(d, city.screen, hour=(8, 8))
            if d.weekday() == 2:  # Wednesdays: this week's 公示
                year.at(d, city.publish_week, hour=(16, 16))
        _run(db, year, done, progress)
    done.seconds = time.perf_counter() - started
    with db.transaction() as s:
        for status, n in s.execute(select(Application.status, _count()).where(Application.policy_id == policy.header.id)
                                   .group_by(Application.status)).all():
            done.applications[status] = n
    return done


def _count():
    from sqlalchemy import func

    return func.count()


def _run(db: Database, year: _Year, done: Replayed, progress) -> None:
    """Work through the queue one working day per transaction, each action at its own moment and savepoint."""
    total = len(year.days)
    while year.queue:
        day = year.queue[0][0].date()
        with db.transaction() as s:
            while year.queue and year.queue[0][0].date() == day:
                moment, _, fn, args = heapq.heappop(year.queue)
                with clock.replaying(moment):
                    try:
                        with s.begin_nested():
                            fn(s, *args)
                    except (LookupError, PermissionError, ValueError, TransitionError) as e:
                        done.refused[f"{type(e).__name__}: {str(e)[:60]}"] += 1
        if progress is not None:
            progress(year.index.get(day, total - 1) + 1, total, day)
