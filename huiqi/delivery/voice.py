"""The enterprise-voice channel (for the measure whose file declares ``voice_channel``): an enterprise
raises a problem; it goes to the responsible department, which answers within a deadline counted in
Chinese working days (public holidays skipped, adjusted working days counted); the enterprise rates the
answer; an unanswered problem past its deadline is escalated. The text sets no deadline: ANSWER_WORKING_DAYS is this
platform's service standard and can be set by HUIQI_VOICE_WORKING_DAYS.

A problem is raised under one policy (``policy_id``): routed by that notice's measures and counted only in its
figures; a department's inbox holds its problems whatever the notice."""

from __future__ import annotations

import datetime as dt
import os
from statistics import mean

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.delivery import DeliveryError, NotYours, policy_or_default
from huiqi.storage.models_delivery import VoiceTicket
from huiqi.workflow import audit

CHANNELS = {"online": "网上反映", "salon": "营商环境会客厅", "hearing": "三个听取"}
STATUS_ZH = {"open": "待答复", "answered": "已答复", "closed": "已评价"}


def answer_days() -> int:
    return int(os.environ.get("HUIQI_VOICE_WORKING_DAYS", "5"))


def route(measure_id: str | None, department: str | None, policy=None) -> str:
    """The responsible department: the one chosen, else the first lead department of the measure of
    ``policy`` (default: the default policy)."""
    if department:
        from huiqi.workflow.accounts import known_departments

        if department not in known_departments():
            raise DeliveryError("department", f"'{department}' is not a department of the policy / 不是政策所列部门")
        return department
    m = policy_or_default(policy).measure(measure_id or "")
    if m is None:
        raise DeliveryError("measure_id", "choose the measure or the department concerned / 请选择相关措施或部门")
    return m.lead_departments[0].name


def raise_ticket(session: Session, user, subject: str, content: str, today: dt.date, channel: str = "online",
                 measure_id: str | None = None, department: str | None = None, policy=None) -> VoiceTicket:
    """An enterprise raises a problem under ``policy`` (default: the default policy), due in working days."""
    from huiqi.workflow.service import Refused, add_working_days

    policy = policy_or_default(policy)
    if user.role != "applicant":
        raise NotYours("enterprises and residents raise problems here / 仅企业和群众可反映问题")
    if channel not in CHANNELS:
        raise DeliveryError("channel", "online / salon / hearing")
    if not subject or not subject.strip():
        raise DeliveryError("subject", "required / 必填")
    if not content or not content.strip():
        raise DeliveryError("content", "describe the problem / 须填写问题描述")
    dept = route(measure_id, department, policy)
    try:  # across a year whose holiday schedule is not published yet: Monday–Friday less fixed holidays
        due = add_working_days(today, answer_days(), provisional_ok=True)
    except Refused as e:
        raise DeliveryError("raised_on", str(e)) from None
    t = VoiceTicket(policy_id=policy.header.id, raised_by=user.id, credit_code=user.credit_code, channel=channel, subject=subject.strip()[:200],
                    content=content.strip()[:5000], department=dept, raised_on=today, due_on=due)
    session.add(t)
    session.flush()
    audit.append(session, user.username, "voice.raise", f"voice/{t.id}", "ok", {"department": dept, "due": due.isoformat()})
    return t


def answer(session: Session, user, ticket_id: int, text: str, today: dt.date) -> VoiceTicket:
    t = _ticket(session, ticket_id)
    if user.role != "admin" and not (user.role == "reviewer" and user.department == t.department):
        raise NotYours(f"ticket {ticket_id} is for {t.department} / 非本单位事项")
    if t.status != "open":
        raise DeliveryError("status", "already answered / 已答复")
    if not text or not text.strip():
        raise DeliveryError("answer", "required / 必填")
    t.answer, t.answered_on, t.answered_by, t.status = text.strip()[:5000], today, user.username, "answered"
    session.flush()
    audit.append(session, user.username, "voice.answer", f"voice/{t.id}", "ok", {"on_time": today <= t.due_on})
    return t


def rate(session: Session, user, ticket_id: int, rating: int) -> VoiceTicket:
    t = _ticket(session, ticket_id)
    if t.raised_by != user.id:
        raise NotYours("only the enterprise that raised it rates it / 仅反映人可评价")
    if t.status != "answered":
        raise DeliveryError("status", "rate once it is answered / 答复后方可评价")
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise DeliveryError("rating", "1 to 5 / 评分为1至5")
    t.rating, t.status = rating, "closed"
    session.flush()
    audit.append(session, user.username, "voice.rate", f"voice/{t.id}", "ok", {"rating": rating})
    return t


def escalate_overdue(session: Session, today: dt.date) -> list[VoiceTicket]:
    """Mark open problems past their deadline as escalated (督办), once; returns the newly escalated."""
    rows = session.execute(select(VoiceTicket).where(VoiceTicket.status == "open", VoiceTicket.due_on < today,
                                                     VoiceTicket.escalated_on.is_(None))).scalars().all()
    for t in rows:
        t.escalated_on = today
        audit.append(session, "system", "voice.escalate", f"voice/{t.id}", "ok", {"due": t.due_on.isoformat()})
    session.flush()
    return list(rows)


def is_overdue(t: VoiceTicket, today: dt.date) -> bool:
    answered = t.answered_on
    return (answered is None and today > t.due_on) or (answered is not None and answered > t.due_on)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Chinese working days after ``start`` up to and including ``end``."""
    from huiqi.workflow.service import is_working_day

    n, d = 0, start
    while d < end:
        d += dt.timedelta(days=1)
        n += is_working_day(d, provisional_ok=True)  # the same count as the deadline's
    return n


def stats(session: Session, today: dt.date, policy=None) -> dict:
    """Response-time and satisfaction figures of ``policy``'s channel (default: the default policy)."""
    pid = policy_or_default(policy).header.id
    rows = list(session.execute(select(VoiceTicket).where(VoiceTicket.policy_id == pid)).scalars())
    answered = [t for t in rows if t.answered_on is not None]
    rated = [t.rating for t in rows if t.rating is not None]
    on_time = [t for t in answered if t.answered_on <= t.due_on]
    return {
        "raised": len(rows),
        "answered": len(answered),
        "answered_on_time": len(on_time),
        "open_overdue": sum(1 for t in rows if t.answered_on is None and today > t.due_on),
        "mean_working_days": (round(mean(working_days_between(t.raised_on, t.answered_on) for t in answered), 1)
                              if answered else None),
        "mean_rating": round(mean(rated), 2) if rated else None,
        "rated": len(rated),
    }


def _ticket(session: Session, ticket_id: int) -> VoiceTicket:
    t = session.get(VoiceTicket, ticket_id)
    if t is None:
        raise DeliveryError("ticket_id", f"unknown ticket {ticket_id} / 未找到该事项")
    return t
