"""Enterprise voice (政企沟通, for the measure whose file declares ``voice_channel``): the public page with
what the measure says and the aggregate figures (no personal data); for a signed-in enterprise a form to raise a
problem and its own problems with their answers and a rating; for a department its inbox with an
answer form; for an administrator every department's inbox and the escalation list (督办).

Deadlines are counted in Chinese working days by :func:`huiqi.delivery.voice.raise_ticket`; opening
the inbox escalates the open problems past their deadline (idempotent). A refused form is shown
again (HTTP 200) with a message naming the field, and nothing is stored; a department answering
another department's problem gets a 403 page. A policy with no such measure answers these addresses with
the 404 page 「本政策未设此项服务」. Each policy has its own channel: ``?policy=`` chooses it (the default policy
when absent); problems, figures and inboxes are those of that policy.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from huiqi import clock
from huiqi.delivery import DeliveryError, NotYours, voice
from huiqi.storage.models import User
from huiqi.storage.models_delivery import VoiceTicket
from huiqi.delivery import features
from huiqi.web import delivery_policy, i18n
from huiqi.web.delivery_policy import missing as absent  # the chosen policy's services
from huiqi.web.policy_view import article
from huiqi.web.auth import Forbidden, check_csrf, database, page_user, require
from huiqi.web.render import render

router = APIRouter(include_in_schema=False)

STAFF = ("reviewer", "admin")
FEATURE = "voice_channel"
RAISE_FIELDS = ("channel", "measure_id", "department", "subject", "content")

i18n.add({
    "vc.title": ("政企沟通", "Enterprise voice"),
    "vc.intro": ("企业可在此反映问题和意见。事项按所涉措施转交牵头单位（或由您选择的部门）办理，须在 {days} 个工作日内答复（按国家法定节假日和调休安排计算）；逾期未答复的列入督办。答复后可对办理结果评价。",
                 "Enterprises raise problems and suggestions here. Each goes to the lead department of the measure concerned "
                 "(or the department you choose), which answers within {days} Chinese working days (public holidays skipped, "
                 "adjusted working days counted); an unanswered problem past its deadline is escalated. You rate the answer."),
    "vc.basis": ("政策依据（{article}）", "Basis in the policy ({article}, Chinese original)"),
    "vc.stats": ("办理情况", "How problems are handled"),
    "vc.stats_note": ("仅统计汇总数据，不公开反映人信息。", "Aggregate figures only; nobody who raised a problem is named."),
    "vc.stat.raised": ("受理问题", "Problems raised"),
    "vc.stat.answered": ("已答复", "Answered"),
    "vc.stat.on_time": ("按期答复率", "Answered on time"),
    "vc.stat.days": ("平均答复用时（工作日）", "Mean time to answer (working days)"),
    "vc.stat.rating": ("平均满意度（5 分制）", "Mean rating (out of 5)"),
    "vc.stat.rated": ("{n} 件已评价", "{n} rated"),
    "vc.stat.overdue": ("逾期未答复", "Open past the deadline"),
    "vc.sign_in": ("登录企业账户后即可反映问题。", "Sign in with an enterprise account to raise a problem."),
    "vc.staff_link": ("进入办理工作台", "Open the inbox"),
    "vc.raise": ("反映问题", "Raise a problem"),
    "vc.raise_submit": ("提交", "Submit"),
    "vc.raised_msg": ("已提交，转交{dept}办理，答复期限 {due}", "Submitted to {dept}; answer due by {due}"),
    "vc.rated_msg": ("感谢您的评价", "Thank you for rating the answer"),
    "vc.f.channel": ("反映渠道", "Channel"),
    "vc.f.measure_id": ("涉及的政策措施", "Measure concerned"),
    "vc.f.measure_hint": ("选择措施后由其牵头单位办理", "its lead department answers"),
    "vc.f.department": ("或直接选择部门", "Or choose the department"),
    "vc.f.department_hint": ("选择部门时优先转交该部门", "a department chosen here takes precedence"),
    "vc.f.subject": ("问题标题", "Subject"),
    "vc.f.content": ("问题描述", "The problem"),
    "vc.f.raised_on": ("提交日期", "Date raised"),
    "vc.f.rating": ("评分", "Rating"),
    "vc.f.answer": ("答复内容", "Answer"),
    "vc.f.status": ("状态", "Status"),
    "vc.f.ticket_id": ("事项", "Problem"),
    "vc.f.form": ("表单", "Form"),
    "vc.none_measure": ("（不选择）", "(none)"),
    "vc.none_department": ("（按措施确定）", "(from the measure)"),
    "vc.refused": ("未提交：{field}：{message}", "Not submitted: {field}: {message}"),
    "vc.channel.online": ("网上反映", "Online"),
    "vc.channel.salon": ("营商环境会客厅", "Business environment salon"),
    "vc.channel.hearing": ("三个听取", "Three hearings"),
    "vc.status.open": ("待答复", "Awaiting answer"),
    "vc.status.answered": ("已答复", "Answered"),
    "vc.status.closed": ("已评价", "Rated"),
    "vc.mine": ("我反映的问题", "My problems"),
    "vc.mine_none": ("您尚未反映问题", "You have not raised a problem yet"),
    "vc.col.subject": ("问题", "Problem"),
    "vc.col.department": ("办理部门", "Department"),
    "vc.col.raised": ("提交日期", "Raised on"),
    "vc.col.due": ("答复期限", "Answer due"),
    "vc.col.status": ("状态", "Status"),
    "vc.col.channel": ("渠道", "Channel"),
    "vc.col.enterprise": ("企业", "Enterprise"),
    "vc.answer": ("答复", "Answer"),
    "vc.answered_by": ("{on} 由 {by} 答复", "answered on {on} by {by}"),
    "vc.rating": ("评分：{n} 分", "Rating: {n} of 5"),
    "vc.rate": ("评价答复", "Rate the answer"),
    "vc.rate_submit": ("提交评价", "Submit the rating"),
    "vc.stars": ("{n} 分", "{n}"),
    "vc.overdue": ("已逾期", "Overdue"),
    "vc.late": ("逾期答复", "Answered late"),
    "vc.escalated": ("已督办（{on}）", "Escalated ({on})"),
    "vc.inbox": ("政企沟通办理", "Enterprise voice inbox"),
    "vc.inbox_dept": ("{dept} 待办事项", "Problems for {dept}"),
    "vc.inbox_all": ("全部部门的事项（管理员）", "Every department's problems (administrator)"),
    "vc.inbox_none": ("暂无转交本单位的问题", "No problem has been routed to your department"),
    "vc.answer_submit": ("提交答复", "Send the answer"),
    "vc.answer_label": ("答复“{subject}”", "Answer to “{subject}”"),
    "vc.answered_msg": ("已答复", "Answer sent"),
    "vc.escalations": ("督办清单", "Escalation list (督办)"),
    "vc.escalations_none": ("暂无督办事项", "Nothing escalated"),
    "vc.by_department": ("各部门办理情况", "By department"),
    "vc.col.open": ("待答复", "Open"),
    "vc.col.overdue": ("逾期", "Overdue"),
    "vc.col.total": ("合计", "Total"),
})


def _basis(lang: str, policy) -> dict[str, object]:
    """The sentences of the measure declaring the channel quoted on the page (the citation of the provision
    its declaration names, checked verbatim by the loader) and the heading naming the measure."""
    measure, sentences = features.basis(FEATURE, policy)
    return {"sentences": sentences, "heading": i18n.translate("vc.basis", lang, article=article(measure, lang))}


def _percent(part: int, whole: int) -> str | None:
    if not whole:
        return None
    return f"{(Decimal(part) * 100 / Decimal(whole)).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def _stats(s, policy) -> dict:
    st = voice.stats(s, clock.today(), policy)
    return {**st, "on_time_pct": _percent(st["answered_on_time"], st["answered"]),
            "rating_text": None if st["mean_rating"] is None else f"{st['mean_rating']:.2f}",
            "days_text": None if st["mean_working_days"] is None else f"{st['mean_working_days']:.1f}"}


def _measures(policy) -> list[tuple[str, str, str]]:
    return [(m.id, f"{m.number}. {m.title_zh}", f"{m.number}. {m.title_en}") for m in policy.measures]


def _departments() -> list[str]:
    from huiqi.workflow.accounts import known_departments

    return known_departments()


def _voice_page(request: Request, form: dict[str, str] | None = None, error: tuple[str, str] | None = None,
                done: str | None = None, raised: VoiceTicket | None = None) -> Response:
    user = page_user(request)
    policy_id, policy = delivery_policy.chosen(request)
    mine: list[VoiceTicket] = []
    with database(request).transaction() as s:
        stats = _stats(s, policy)
        if user is not None and user.role == "applicant":
            mine = list(s.execute(select(VoiceTicket).where(VoiceTicket.raised_by == user.id,
                                                            VoiceTicket.policy_id == policy.header.id)
                                  .order_by(VoiceTicket.id.desc())).scalars())
            for t in mine:
                s.expunge(t)
    return render(request, "voice/public.html", basis=_basis(i18n.lang_of(request), policy), stats=stats, mine=mine,
                  form=form or {}, error=error, done=done, raised=raised, channels=list(voice.CHANNELS),
                  measures=_measures(policy), departments=_departments(), days=voice.answer_days(), today=clock.today(),
                  is_overdue=voice.is_overdue, **delivery_policy.view(policy_id, "/voice", FEATURE))


@router.get("/voice")
def voice_page(request: Request, raised: str = "", rated: str = "") -> Response:
    if (missing := absent(request, FEATURE)) is not None:
        return missing
    user = page_user(request)
    ticket = None
    if raised.isdigit() and len(raised) < 10 and user is not None:
        with database(request).transaction() as s:
            t = s.get(VoiceTicket, int(raised))
            if t is not None and t.raised_by == user.id:
                s.expunge(t)
                ticket = t
    return _voice_page(request, raised=ticket, done="rated" if rated else None)


@router.post("/voice/raise")
async def raise_problem(request: Request) -> Response:
    if (missing := absent(request, FEATURE)) is not None:
        return missing
    user = require(request, ("applicant",))
    raw = await request.form()
    check_csrf(request, raw)
    form = {k: str(raw.get(k, ""))[:5000].strip() for k in RAISE_FIELDS}
    policy_id, policy = delivery_policy.chosen(request)
    try:
        with database(request).transaction() as s:
            t = voice.raise_ticket(s, s.merge(user), form["subject"], form["content"], today=clock.today(),
                                   channel=form["channel"] or "online", measure_id=form["measure_id"] or None,
                                   department=form["department"] or None, policy=policy)
            ticket_id = t.id
    except DeliveryError as e:
        field = e.field if e.field in RAISE_FIELDS + ("raised_on",) else "form"
        return _voice_page(request, form=form, error=(field, e.message))
    return RedirectResponse(delivery_policy.with_policy(f"/voice?raised={ticket_id}#mine", policy_id), status_code=303)


@router.post("/voice/{ticket_id}/rate")
async def rate_answer(request: Request, ticket_id: int) -> Response:
    if (missing := absent(request, FEATURE)) is not None:
        return missing
    user = require(request, ("applicant",))
    raw = await request.form()
    check_csrf(request, raw)
    value = str(raw.get("rating", "")).strip()
    try:
        rating = int(value) if value.isdigit() and len(value) < 3 else 0
        with database(request).transaction() as s:
            voice.rate(s, s.merge(user), ticket_id, rating)
    except NotYours:
        raise Forbidden("another enterprise's problem") from None
    except DeliveryError as e:
        return _voice_page(request, error=(e.field if e.field in ("rating", "status", "ticket_id") else "form", e.message))
    return RedirectResponse(delivery_policy.with_policy("/voice?rated=1#mine", delivery_policy.chosen(request)[0]),
                            status_code=303)


# -- departments and administrators --------------------------------------------------------------


def _names(s, tickets: list[VoiceTicket]) -> dict[str, str]:
    """The enterprise behind each credit code, by its account's name: a department reads who raised a problem."""
    codes = {t.credit_code for t in tickets if t.credit_code}
    if not codes:
        return {}
    return dict(s.execute(select(User.credit_code, User.display_name).where(
        User.credit_code.in_(codes), User.role == "applicant")).all())


def _inbox_page(request: Request, user, error: tuple[str, str] | None = None, answered: bool = False,
                form: dict[str, str] | None = None) -> Response:
    today = clock.today()
    policy_id, policy = delivery_policy.chosen(request)
    with database(request).transaction() as s:
        voice.escalate_overdue(s, today)  # idempotent: marks each overdue problem once
        stmt = select(VoiceTicket).where(VoiceTicket.policy_id == policy.header.id)
        if user.role != "admin":
            stmt = stmt.where(VoiceTicket.department == user.department)
        tickets = list(s.execute(stmt).scalars())
        for t in tickets:
            s.expunge(t)
        names = _names(s, tickets)
    order = {"open": 0, "answered": 1, "closed": 2}
    tickets.sort(key=lambda t: (order.get(t.status, 3), t.due_on, t.id))
    escalations = [t for t in tickets if t.escalated_on is not None]
    by_department: list[tuple[str, int, int, int]] = []
    if user.role == "admin":
        counts: dict[str, list[int]] = {}
        for t in tickets:
            c = counts.setdefault(t.department, [0, 0, 0])
            c[0] += 1
            c[1] += t.status == "open"
            c[2] += voice.is_overdue(t, today) and t.answered_on is None
        by_department = sorted(((d, *c) for d, c in counts.items()), key=lambda r: (-r[3], -r[2], r[0]))
    return render(request, "voice/inbox.html", tickets=tickets, escalations=escalations, by_department=by_department,
                  enterprise_of=names,
                  is_admin=user.role == "admin", today=today, is_overdue=voice.is_overdue, error=error,
                  answered=answered, form=form or {}, **delivery_policy.view(policy_id, "/voice/inbox", FEATURE))


@router.get("/voice/inbox")
def inbox(request: Request, answered: str = "") -> Response:
    if (missing := absent(request, FEATURE)) is not None:
        return missing
    user = require(request, STAFF)
    return _inbox_page(request, user, answered=bool(answered))


@router.post("/voice/{ticket_id}/answer")
async def answer_problem(request: Request, ticket_id: int) -> Response:
    if (missing := absent(request, FEATURE)) is not None:
        return missing
    user = require(request, STAFF)
    raw = await request.form()
    check_csrf(request, raw)
    text = str(raw.get("answer", ""))[:5000]
    try:
        with database(request).transaction() as s:
            voice.answer(s, s.merge(user), ticket_id, text, clock.today())
    except NotYours:
        raise Forbidden("another department's problem") from None
    except DeliveryError as e:
        field = e.field if e.field in ("answer", "status", "ticket_id") else "form"
        return _inbox_page(request, user, error=(field, e.message), form={"ticket_id": str(ticket_id), "answer": text})
    return RedirectResponse(delivery_policy.with_policy("/voice/inbox?answered=1", delivery_policy.chosen(request)[0]),
                            status_code=303)
