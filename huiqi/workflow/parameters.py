"""Administrators change a policy figure from a date, with a reason; the engine uses it from then on.

The policy files stay the authority for what the text says; a change is a dated decision on top
(a department's adjusted rate, a new ceiling from a date). It is stored once, never edited, written
to the audit chain, and applied as a new dated value: the value in force on the effective date ends
the day before, and the new one runs to where that one ran. Applications already submitted keep the
answer frozen at submission (with the policy version that produced it); the effective policy's
version names the changes (``<files hash>-p<last change id>-<hash of the changes>``), so an answer says which figures it used.

Making the change is :meth:`Policy.with_changes` (:mod:`huiqi.rules.changes`), the same operation as a
what-if or a test case's figure; the policy with the stored changes comes from :mod:`huiqi.policies`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from huiqi import policies
from huiqi.rules.changes import Change, ChangeError, apply_one
from huiqi.storage.models import ParameterChange, User
from huiqi.workflow import audit


ChangeRefused = ChangeError  # the name the pages and tests use for a refused change


def change(session: Session, user: User, provision_id: str, parameter: str, value_text: str,
           effective_from: dt.date, reason: str, policy_id: str | None = None) -> ParameterChange:
    """Record a change by an administrator (checked, audited) to a figure of ``policy_id`` (the default policy
    when None); it applies from ``effective_from``."""
    from huiqi.workflow.service import PermissionDenied

    if user.role != "admin":
        raise PermissionDenied("only administrators change policy parameters / 仅管理员可调整政策参数")
    policy = policies.effective(session, policy_id)
    measure = policy.measure(provision_id.split(".")[0]) if provision_id else None
    provision = measure.provision(provision_id) if measure else None
    if provision is None:
        raise ChangeRefused("provision_id", f"unknown provision '{provision_id}' / 未知的政策条款")
    param = provision.parameters.get(parameter)
    if param is None:
        raise ChangeRefused("parameter", f"{provision_id} has no parameter '{parameter}' / 该条款无此参数")
    if not reason or not reason.strip():
        raise ChangeRefused("reason", "a reason is required / 须说明调整理由")
    if not isinstance(effective_from, dt.date) or not dt.date(2000, 1, 1) <= effective_from <= dt.date(2100, 12, 31):
        raise ChangeRefused("effective_from", "a real date is required / 须填写有效日期")
    # refuse now what could not be applied later: the same operation the resolver performs
    apply_one(measure, provision_id, parameter, Change(f"{provision_id}.{parameter}", value_text, effective_from))
    row = ParameterChange(policy_id=policy.header.id, provision_id=provision_id, parameter=parameter, value_text=value_text.strip()[:2000],
                          effective_from=effective_from, reason=reason.strip(), actor=user.username)
    session.add(row)
    session.flush()
    event.listen(session, "after_commit", lambda _s: policies.forget_recent(), once=True)  # seen at once here
    before = param.value_on(effective_from)
    audit.append(session, user.username, "parameter.change", f"parameter/{provision_id}.{parameter}", "ok",
                 {"change": row.id, "policy": policy.header.id, "from": effective_from.isoformat(), "value": row.value_text,
                  "before": None if before is None else str(before if not isinstance(before, list) else "、".join(before)),
                  "reason": row.reason})
    return row


def history(session: Session) -> list[ParameterChange]:
    """Every change, newest first."""
    return list(session.execute(select(ParameterChange).order_by(ParameterChange.id.desc())).scalars())
