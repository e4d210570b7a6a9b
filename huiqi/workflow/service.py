"""Applications from draft to disbursement: the engine's answer frozen at submission, review by the lead
department, approval within entitlement, pool and yearly cap, public notice, disbursement, audit.

Every function runs inside the caller's transaction (``Database.transaction()``): the status change,
the money movement, the timeline entry and the audit entry commit together or not at all — a process
killed half way leaves nothing half done. Status changes are conditional updates
(``WHERE status = :expected``), so two reviewers racing on one application cannot both succeed.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from huiqi import clock, policies
from huiqi.money import format_fen
from huiqi.storage.models import Application, ApplicationEvent, Objection, User, utcnow
from huiqi.workflow import audit, ledger
from huiqi.workflow.states import ACTORS, HOLDS_MONEY, TransitionError, may_review, next_status


class NotFound(LookupError):
    pass


class PermissionDenied(PermissionError):
    pass


class Refused(ValueError):
    """The request is understood but cannot be granted (not eligible, above entitlement, no money left)."""


class OpinionRequired(Refused):
    """A partial approval without the written 审核意见 that must explain it."""


class MaterialsMissing(Refused):
    """A submission while a required item of the provision's 申报材料清单 has no uploaded file."""

    def __init__(self, materials: list):
        self.materials = materials
        super().__init__("required materials are missing: " + "; ".join(m.en for m in materials)
                         + " / 尚未上传申报材料：" + "、".join(f"「{m.zh}」" for m in materials) + "，请上传后再提交")


# Why an eligible provision that pays no money cannot be applied for on the platform (its benefit kind: see
# ``Provision.benefit``); the calculator shows these without an apply button, the API refuses them with these words
NOT_CLAIMED_HERE = {
    "relief": "this provision is a tax or fee relief: it is had when filing with the tax authority, nothing is paid "
              "through this platform / 本条为税费减免，在向税务部门申报时依法享受，不经本平台申领资金",
    "loan_limit": "this provision sets a loan limit: apply to the lending bank or the guarantee agency, nothing is "
                  "paid through this platform / 本条为贷款额度，请向承贷银行或担保机构申请，不经本平台申领资金",
    "right": "this provision grants a right or a facilitation: it is handled by its lead department, nothing is paid "
             "through this platform / 本条为资格或便利事项，由牵头单位办理，不经本平台申领资金",
    "referral": "this provision is decided by its lead department: ask the department first "
                "/ 本条需由牵头单位认定，请先向牵头单位咨询",
}


def _policy(session: Session | None = None, policy_id: str | None = None):
    """An application's policy: with the administrators' parameter changes when a session is at hand."""
    return policies.effective(session, policy_id) if session is not None else policies.load(policy_id)


def _check_window(policy, provision_id: str, today: dt.date | None) -> None:
    """A new application only within its provision's 申报期 (applications already made continue)."""
    try:
        policies.check_window(policy, provision_id, today)
    except policies.OutsideWindow as e:
        raise Refused(str(e)) from None


def _load(session: Session, app_id: int) -> Application:
    app = session.get(Application, app_id)
    if app is None:
        raise NotFound(f"application {app_id} not found / 未找到申请")
    return app


def _lead_departments(app: Application) -> list[str]:
    m = _policy(policy_id=app.policy_id).measure(app.provision_id.split(".")[0])
    return [d.name for d in m.lead_departments] if m else []


def authorize(user: User, action: str, app: Application) -> None:
    """Raise PermissionDenied unless ``user`` may take ``action`` on ``app``."""
    if user.role not in ACTORS.get(action, frozenset()):
        raise PermissionDenied(f"a {user.role} may not {action} / 无权执行此操作")
    if user.role == "applicant" and app.applicant_id != user.id:
        raise PermissionDenied("not your application / 不是您的申请")
    if user.role == "reviewer" and not may_review(user.department, _lead_departments(app)):
        raise PermissionDenied(f"{user.department} is not a lead department of {app.provision_id} / 非本条款牵头单位")


def can_view(user: User, app: Application) -> bool:
    if user.role == "applicant":
        return app.applicant_id == user.id
    if user.role == "reviewer":
        return may_review(user.department, _lead_departments(app))
    return user.role in ("finance", "admin")


def _move(session: Session, app: Application, user: User, action: str, note: str | None = None, **values: Any) -> str:
    """Conditional status change + timeline + audit; raises TransitionError if someone else moved it first."""
    before = app.status
    after = next_status(before, action)
    try:  # RETURNING the row refreshes ``app`` in the same statement (no second SELECT)
        done = session.execute(
            update(Application).where(Application.id == app.id, Application.status == before)
            .values(status=after, updated_at=utcnow(), **values).returning(Application)
            .execution_options(synchronize_session=False, populate_existing=True)
        ).scalars().first() is not None
    except IntegrityError as e:
        if values.get("claim_key") and "claim_key" in str(e.orig):  # a twin submitted the same claim first
            raise Refused(f"{app.provision_id} is already claimed by another live application "
                          f"/ 同一事项已有在办申请，不能重复申请") from None
        raise
    if not done:
        raise TransitionError(f"application {app.id} changed meanwhile / 申请状态已被他人更改")
    session.add(ApplicationEvent(application_id=app.id, actor_id=user.id, from_status=before, to_status=after, note=note))
    audit.append(session, user.username, f"application.{action}", f"application/{app.id}", "ok",
                 {"from": before, "to": after, "note": note, **{k: v for k, v in values.items() if k != "entitlement_json"}})
    return after


def create(session: Session, user: User, profile: dict, provision_id: str, event_id: str | None = None,
           today: dt.date | None = None, policy_id: str | None = None) -> Application:
    """A draft application under ``policy_id`` (the default policy when None); refused outside the
    provision's 申报期 (``today`` defaults to the clock)."""
    if user.role != "applicant":
        raise PermissionDenied("only applicants create applications / 仅申请人可创建申请")
    from huiqi.profile.model import profile_model

    try:
        profile_model(policies.load(policy_id)).model_validate(profile)  # a bad profile: refused before anything is stored
    except policies.UnknownPolicy as e:
        raise NotFound(str(e)) from None
    if (profile.get("credit_code") or None) != (user.credit_code or None):
        # otherwise one enterprise could use up another's yearly cap, or dodge its own
        raise PermissionDenied("credit_code: the profile's credit code is not the applicant's own "
                               "/ 统一社会信用代码与申请人账户不一致")
    try:
        policy = _policy(policy_id=policy_id)
    except policies.UnknownPolicy as e:
        raise NotFound(str(e)) from None
    measure = policy.measure(provision_id.split(".")[0])
    provision = measure.provision(provision_id) if measure is not None else None
    if provision is None:
        raise NotFound(f"unknown provision {provision_id} / 未知的政策条款")
    if not provision.claimed_here:  # only money is claimed here; a relief or a loan limit is had elsewhere
        raise Refused(NOT_CLAIMED_HERE[provision.benefit])
    _check_window(policy, provision_id, today)
    app = Application(applicant_id=user.id, credit_code=profile.get("credit_code"), policy_id=policy.header.id,
                      provision_id=provision_id,
                      measure_id=measure.id, event_id=event_id, status="draft",
                      profile_json=json.dumps(profile, ensure_ascii=False, default=str))
    session.add(app)
    session.flush()
    session.add(ApplicationEvent(application_id=app.id, actor_id=user.id, from_status=None, to_status="draft"))
    audit.append(session, user.username, "application.create", f"application/{app.id}", "ok",
                 {"policy": policy.header.id, "provision": provision_id})
    return app


def submit(session: Session, user: User, app_id: int, as_of: dt.date | None = None,
           today: dt.date | None = None, registry_facts: bool = False) -> Application:
    """Freeze the engine's answer (with its policy version) and submit; a later rule change never alters it.
    A first submission must fall in the 申报期; one returned for more material continues after it. Where the
    provision lists materials, each required one needs an uploaded file first (:class:`MaterialsMissing`) —
    unless ``registry_facts``: a 免申即享 offer's facts come from the departments' own registry, which is what
    the materials would prove (no materials asked, the point of 免申即享)."""
    from huiqi.engine.evaluate import evaluate
    from huiqi.profile.model import profile_model
    from huiqi.rules.loader import dumps

    app = _load(session, app_id)
    authorize(user, "submit", app)
    next_status(app.status, "submit")  # a cancelled or decided application says so before anything is evaluated
    policy = _policy(session, app.policy_id)
    if app.status == "draft":
        _check_window(policy, app.provision_id, today)
    as_of = as_of or policies.default_date(policy, today)
    profile = profile_model(policy).model_validate(json.loads(app.profile_json))  # the policy's kinds of event too
    results = [r for r in evaluate(policy, profile, as_of).results
               if r.provision_id == app.provision_id and (app.event_id is None or r.event_id == app.event_id)]
    if len(results) != 1:
        raise Refused(f"the profile gives {len(results)} results for {app.provision_id}; name the event / 请指明事项")
    result = results[0]
    if result.status not in ("eligible", "referral"):
        raise Refused(f"not eligible: {result.explanation_en} / 不符合条件：{result.explanation_zh}")
    provision = policy.measure(app.measure_id).provision(app.provision_id)
    key = claim_key(app.policy_id, app.provision_id, result.event_id, app.credit_code, app.applicant_id)
    other = session.execute(select(Application.id).where(Application.claim_key == key, Application.id != app.id)).scalar()
    if other is not None:
        raise Refused(f"application {other} already claims {app.provision_id} {result.event_id or ''} "
                      f"/ 同一事项已有在办申请（{other}号），不能重复申请")
    from huiqi.workflow import evidence

    lacking = [] if registry_facts else evidence.missing(session, app)
    if lacking:
        raise MaterialsMissing(lacking)
    frozen = {**result.as_dict(), "exact_yuan": None if result.exact_yuan is None else str(result.exact_yuan)}  # year_total
    _move(session, app, user, "submit", claim_key=key, entitlement_json=dumps(frozen), policy_version=policy.version,
          entitlement_fen=result.amount_fen, is_cap=result.is_cap,
          pool_id=policies.pool_key(policy, provision.pool) if provision.pool else None,
          event_id=result.event_id, cap_year=result.decision_date.year if provision.cap_period == "per_year" else None)
    return app


def claim_key(policy_id: str, provision_id: str, event_id: str | None, credit_code: str | None,
              applicant_id: int) -> str:
    """What one application claims: a policy's provision, its event and the claimant. Unique among live
    applications."""
    return f"{policy_id}|{provision_id}|{event_id or ''}|{credit_code or f'user:{applicant_id}'}"


def year_use(session: Session, credit_code: str | None, policy_id: str,
             outside: dict[str, set[str]] | None = None) -> dict[tuple[str, int], int]:
    """What the workflow ledger has counted against an enterprise's yearly caps under one policy:
    ``(provision id, year) → fen`` approved (approved, in 公示 or paid), for the calculator to feed into the engine's
    ``cap`` step (``evaluate(prior_use=…)``) — the ceiling itself stays the step's one rule.

    ``outside``: provision id → the event ids the caller's profile still holds; their approved amounts are left
    out, since the step counts those claims itself."""
    from huiqi.storage.models import EntityCap

    if not credit_code:
        return {}
    prefix = policies.cap_key(policy_id, "")
    out: dict[tuple[str, int], int] = {}
    for row in session.execute(select(EntityCap).where(EntityCap.credit_code == credit_code,
                                                       EntityCap.provision_id.startswith(prefix))).scalars():
        out[(row.provision_id.removeprefix(prefix), row.year)] = row.used_fen
    for provision_id, events in (outside or {}).items():
        counted = session.execute(select(Application.cap_year, Application.approved_fen).where(
            Application.credit_code == credit_code, Application.policy_id == policy_id,
            Application.provision_id == provision_id, Application.event_id.in_(events),
            Application.cap_year.is_not(None), Application.approved_fen.is_not(None),
            Application.status.in_(HOLDS_MONEY | {"disbursed"}))).all()
        for year, fen in counted:
            key = (provision_id, year)
            if key in out:
                out[key] = max(0, out[key] - fen)
    return out


def start_review(session: Session, user: User, app_id: int) -> Application:
    app = _load(session, app_id)
    authorize(user, "start_review", app)
    _move(session, app, user, "start_review")
    return app


def return_for_more(session: Session, user: User, app_id: int, reason: str) -> Application:
    app = _load(session, app_id)
    authorize(user, "return", app)
    if not reason.strip():
        raise Refused("a reason is required / 须说明理由")
    _move(session, app, user, "return", note=reason, reason=reason)
    return app


def reject(session: Session, user: User, app_id: int, reason: str) -> Application:
    app = _load(session, app_id)
    authorize(user, "reject", app)
    if not reason.strip():
        raise Refused("a reason is required / 须说明理由")
    held = app.status in HOLDS_MONEY
    amount = app.approved_fen
    _move(session, app, user, "reject", note=reason, reason=reason, claim_key=None)
    if held and amount:
        _release(session, app, amount)
    return app


MAX_OPINION = 2000


def approve(session: Session, user: User, app_id: int, amount_fen: int, opinion: str | None = None) -> Application:
    """Approve within the entitlement; reserve from the pool and count against the yearly cap, atomically.

    Approving less than the engine computed (part of a 最高 award, or a deduction) needs a written 审核意见: the
    applicant and the auditors must be able to read why. The timeline note says the amount in ¥ and the opinion.
    """
    app = _load(session, app_id)
    authorize(user, "approve", app)
    if amount_fen <= 0:
        raise Refused("the amount must be positive / 金额须大于零")
    if app.entitlement_fen is None:
        raise Refused("the text states no figure for this provision; it must be set first / 原文未规定金额")
    if amount_fen > app.entitlement_fen:
        raise Refused(f"{amount_fen} fen is above the entitlement of {app.entitlement_fen} fen / 超过测算金额")
    opinion = (opinion or "").strip()[:MAX_OPINION]
    if amount_fen < app.entitlement_fen and not opinion:
        raise OpinionRequired("approving less than the computed amount needs a written opinion "
                              "/ 核定金额低于测算金额，须填写审核意见")
    note = f"核定金额{format_fen(amount_fen)}" + (f"；审核意见：{opinion}" if opinion else "")
    _move(session, app, user, "approve", note=note, approved_fen=amount_fen)
    provision = _policy(session, app.policy_id).measure(app.measure_id).provision(app.provision_id)
    if app.cap_year is not None and app.credit_code:
        capped = "cap" in provision.parameters  # a yearly figure stated
        if capped:
            cap_value = provision.parameters["cap"].value_on(dt.date(app.cap_year, 12, 31)) or \
                provision.parameters["cap"].values[-1].value
            cap_key = policies.cap_key(app.policy_id, app.provision_id)
            ledger.hold_cap(session, app.credit_code, cap_key, app.cap_year, int(cap_value * 100))  # the year, queued
        counted_fen, total_fen = _year_total(session, app)
        if counted_fen + amount_fen > total_fen:  # raised inside the caller's transaction: nothing is kept
            raise Refused(f"{format_fen(amount_fen)} would pass the year's claims added up and rounded once "
                          f"({format_fen(total_fen)}, {format_fen(counted_fen)} approved) "
                          f"/ 超过本年度各笔合计金额（合计后四舍五入一次）：合计"
                          f"{format_fen(total_fen)}，已核定{format_fen(counted_fen)}")
        if capped:
            ledger.use_cap(session, app.credit_code, cap_key, app.cap_year, int(cap_value * 100), amount_fen,
                           total_fen=total_fen)
    if app.pool_id:
        ledger.reserve(session, app.pool_id, app.id, amount_fen)
    return app


def _exact_yuan(app: Application, fen: int | None) -> Decimal:
    """An application's exact amount frozen at submission (year_total); ``fen`` for one frozen before it was kept."""
    value = json.loads(app.entitlement_json or "{}").get("exact_yuan")
    return Decimal(value) if value is not None else Decimal(fen or 0) / 100


def _year_total(session: Session, app: Application) -> tuple[int, int]:
    """What the year's claims of one enterprise and provision may be paid together: (fen already approved, fen of
    the exact amounts of the year's live claims — approved, paid or still being decided — and this one, added up
    and rounded once). A share of a year's spending (算力券) is rounded once per enterprise-year (the engine's
    ``round_once``), so approvals one claim at a time never add up to more than the year's total, however the
    spending was split into applications — and in whatever order the department decides them (each claim's part
    of the year's total may be a fen above its own rounding: counting only the approved ones refused a later claim
    approved before an earlier one)."""
    from huiqi.engine.steps import to_fen

    others = session.execute(select(Application).where(
        Application.policy_id == app.policy_id, Application.provision_id == app.provision_id,
        Application.credit_code == app.credit_code, Application.cap_year == app.cap_year, Application.id != app.id,
        Application.status.in_(LIVE_CLAIMS)).execution_options(populate_existing=True)).scalars().all()
    counted = [o for o in others if o.status in HOLDS_MONEY | {"disbursed"}]
    exact = sum((_exact_yuan(o, o.approved_fen if o in counted else o.entitlement_fen) for o in others),
                _exact_yuan(app, app.entitlement_fen))
    return sum(o.approved_fen or 0 for o in counted), to_fen(exact)


LIVE_CLAIMS = frozenset({"submitted", "under_review", "returned", "approved", "public_notice", "disbursed"})


def publish(session: Session, user: User, app_id: int, notice_days: int = 5, today: dt.date | None = None) -> Application:
    """Start the public notice (公示) for ``notice_days`` working days (Monday to Friday)."""
    app = _load(session, app_id)
    authorize(user, "publish", app)
    first = today or clock.today()
    _move(session, app, user, "publish", notice_from=first, notice_until=add_working_days(first, notice_days))
    return app


def object_to(session: Session, app_id: int, contact: str, content: str, today: dt.date | None = None) -> Objection:
    """Anyone may lodge an objection while the notice runs (its first day to its last, inclusive)."""
    from huiqi.workflow.notices import is_running

    app = _load(session, app_id)
    if not is_running(app, today):
        raise TransitionError("objections are taken only during the public notice / 仅公示期内可提出异议")
    if not content.strip() or not contact.strip():
        raise Refused("contact and content are required / 须填写联系方式和异议内容")
    o = Objection(application_id=app.id, contact=contact[:200], content=content[:5000])
    session.add(o)
    session.flush()
    audit.append(session, "public", "application.objection", f"application/{app.id}", "ok", {"objection": o.id})
    return o


MAX_VOUCHER = 64


def disburse(session: Session, user: User, app_id: int, today: dt.date | None = None, voucher: str | None = None,
             paid_on: dt.date | None = None) -> Application:
    """Pay after the notice. ``voucher`` is the finance bureau's 拨付凭证号 and ``paid_on`` the 拨付日期 (today when
    not given; never before the notice ended nor after today) — both shown in the public notice and the audit."""
    app = _load(session, app_id)
    authorize(user, "disburse", app)
    today = today or clock.today()
    if app.notice_until and today <= app.notice_until:
        raise Refused(f"the public notice runs until {app.notice_until} / 公示期至{app.notice_until}未满")
    paid_on = paid_on or today
    if paid_on > today or (app.notice_until and paid_on <= app.notice_until):
        raise Refused(f"the date of payment must fall after the notice ({app.notice_until}) and not after today "
                      f"/ 拨付日期须在公示期满之后、且不晚于今天")
    voucher = (voucher or "").strip() or None
    if voucher is not None and len(voucher) > MAX_VOUCHER:
        raise Refused(f"the voucher number is longer than {MAX_VOUCHER} characters / 拨付凭证号过长")
    amount = app.approved_fen
    note = f"拨付{format_fen(amount or 0)}，拨付日期{paid_on.isoformat()}" + (f"，凭证号{voucher}" if voucher else "")
    _move(session, app, user, "disburse", note=note, disbursed_on=paid_on, disbursement_voucher=voucher)
    if app.pool_id and amount:
        ledger.settle(session, app.pool_id, app.id, amount)
    return app


def cancel(session: Session, user: User, app_id: int) -> Application:
    app = _load(session, app_id)
    authorize(user, "cancel", app)
    if user.role == "applicant" and app.status in HOLDS_MONEY:
        raise PermissionDenied("an approved application is cancelled by the finance office / 已批准的申请由财政部门撤销")
    held = app.status in HOLDS_MONEY
    amount = app.approved_fen
    _move(session, app, user, "cancel", claim_key=None)
    if held and amount:
        _release(session, app, amount)
    return app


def _release(session: Session, app: Application, amount: int) -> None:
    if app.pool_id:
        ledger.release(session, app.pool_id, app.id, amount)
    if app.cap_year is not None and app.credit_code:
        ledger.free_cap(session, app.credit_code, policies.cap_key(app.policy_id, app.provision_id), app.cap_year, amount)


# Fixed-date statutory holidays (全国年节及纪念日放假办法): known before a year's schedule is published.
FIXED_HOLIDAYS = {(1, 1), (5, 1), (10, 1), (10, 2), (10, 3)}


def add_working_days(start: dt.date, days: int, provisional_ok: bool = False) -> dt.date:
    """``days`` Chinese working days after ``start``: public holidays skipped, adjusted working days (调休) counted.

    Uses the chinese-calendar package's official schedule. A year it does not cover yet is refused
    rather than guessed — unless ``provisional_ok``, where Monday to Friday less the fixed-date holidays
    is counted (a deadline for an answer, not for money; see :func:`is_provisional`).
    """
    d, left = start, days
    while left > 0:
        d += dt.timedelta(days=1)
        if is_working_day(d, provisional_ok):
            left -= 1
    return d


@functools.lru_cache(maxsize=8192)  # the schedule is fixed data; the library scans its whole table on every call
def is_working_day(d: dt.date, provisional_ok: bool = False) -> bool:
    """A Chinese working day by the official schedule; for a year without one, refused unless
    ``provisional_ok`` (then Monday to Friday less the fixed-date holidays)."""
    import chinese_calendar

    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:
        if not provisional_ok:
            raise Refused(f"no official holiday schedule for {d.year} yet / 尚无{d.year}年法定节假日安排") from None
        return d.weekday() < 5 and (d.month, d.day) not in FIXED_HOLIDAYS


def is_provisional(start: dt.date, end: dt.date) -> bool:
    """True when a deadline from ``start`` to ``end`` crosses a year with no official schedule yet."""
    import chinese_calendar

    for year in range(start.year, end.year + 1):
        try:
            chinese_calendar.is_workday(dt.date(year, 6, 1))
        except NotImplementedError:
            return True
    return False


def timeline(session: Session, app_id: int) -> list[dict]:
    rows = session.execute(select(ApplicationEvent).where(ApplicationEvent.application_id == app_id)
                           .order_by(ApplicationEvent.id)).scalars()
    return [{"at": e.at.isoformat(), "from": e.from_status, "to": e.to_status, "note": e.note} for e in rows]
