"""Administrators change a policy figure from a date, with a reason; the engine uses it from then on.

The policy files stay the authority for what the text says; a change is a dated decision on top
(a department's adjusted rate, a new ceiling from a date). It is stored once, never edited, written
to the audit chain, and applied as a new dated value: the value in force on the effective date ends
the day before, and the new one runs to where that one ran. Applications already submitted keep the
answer frozen at submission (with the policy version that produced it); the effective policy's
version names the changes (``<files hash>-p<last change id>-<hash of the changes>``), so an answer says which figures it used.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from decimal import Decimal, InvalidOperation

from pydantic import ValidationError
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from huiqi.rules.loader import Policy
from huiqi.rules.model import DatedValue, Parameter, Unit
from huiqi.storage.models import ParameterChange, User
from huiqi.workflow import audit


class ChangeRefused(ValueError):
    """A change that cannot be made; ``field`` names the form field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def _base_policy() -> Policy:
    from huiqi.catalogue import get_policy

    return get_policy()


def parse_value(param: Parameter, text: str) -> object:
    """The typed value of ``text`` for ``param``'s unit (30% or 0.30 for a ratio; yuan exact to the fen)."""
    text = text.strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
    if not text:
        raise ChangeRefused("value", "a value is required / 请填写新数值")
    if param.unit is Unit.date:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ChangeRefused("value", f"'{text}' is not a date (YYYY-MM-DD) / 不是有效日期") from None
    if param.unit is Unit.text_set:
        names = [n.strip() for n in re.split(r"[、,;；\n]", text) if n.strip()]
        if not names:
            raise ChangeRefused("value", "at least one name / 至少一项")
        return names
    percent = text.endswith("%")
    try:
        number = Decimal(text.rstrip("%"))
    except InvalidOperation:
        raise ChangeRefused("value", f"'{text}' is not a number / 不是数字") from None
    if not number.is_finite():
        raise ChangeRefused("value", f"'{text}' is not a number / 不是数字")
    if percent:
        if param.unit is not Unit.ratio:
            raise ChangeRefused("value", "a percentage only for a ratio / 仅比例可填百分数")
        number = number / 100
    if number < 0:
        raise ChangeRefused("value", "must not be negative / 不能为负数")
    if param.unit is Unit.yuan and number != number.quantize(Decimal("0.01")):
        raise ChangeRefused("value", "money is exact to the fen (two decimals) / 金额最多两位小数")
    if param.unit is Unit.ratio and number > 1:
        raise ChangeRefused("value", "a ratio is at most 100% (write 30% or 0.30) / 比例不超过100%")
    if param.unit is Unit.count and number != number.to_integral_value():
        raise ChangeRefused("value", "a count is a whole number / 须为整数")
    return number


def with_value(param: Parameter, value: object, effective_from: dt.date) -> Parameter:
    """``param`` with ``value`` in force from ``effective_from``: the earlier value ends the day before;
    values that started on or after that date are superseded; the new one runs to where they ran."""
    kept, ends = [], []
    for v in param.values:
        if v.end is not None and v.end < effective_from:
            kept.append(v)
        elif v.start < effective_from:
            kept.append(v.model_copy(update={"end": effective_from - dt.timedelta(days=1)}))
            ends.append(v.end)
        else:
            ends.append(v.end)
    end = None if (not ends or None in ends) else max(ends)
    new = DatedValue.model_validate({"from": effective_from, "to": end, "value": value,
                                     "note": "administrator's change / 管理员调整"})
    try:
        return Parameter.model_validate({**param.model_dump(by_alias=True), "values": [
            v.model_dump(by_alias=True) for v in [*kept, new]]})
    except ValidationError as e:
        raise ChangeRefused("value", e.errors()[0]["msg"]) from None


def apply_changes(policy: Policy, changes: list[ParameterChange]) -> Policy:
    """``policy`` with ``changes`` applied in the order they were made (a later decision wins)."""
    if not changes:
        return policy
    measures = {m.id: m for m in policy.measures}
    for c in changes:
        measure = measures[c.provision_id.split(".")[0]]
        provision = measure.provision(c.provision_id)
        param = provision.parameters[c.parameter]
        new_param = with_value(param, parse_value(param, c.value_text), c.effective_from)
        new_provision = provision.model_copy(update={"parameters": {**provision.parameters, c.parameter: new_param}})
        measures[measure.id] = measure.model_copy(update={"provisions": [
            new_provision if p.id == provision.id else p for p in measure.provisions]})
    ordered = tuple(measures[m.id] for m in policy.measures)
    # the version names the last change and hashes them all: the engine caches its compiled plan by version
    digest = hashlib.sha256("\n".join(f"{c.id}|{c.provision_id}|{c.parameter}|{c.value_text}|{c.effective_from}"
                                       for c in changes).encode()).hexdigest()[:6]
    return dataclasses.replace(policy, measures=ordered, version=f"{policy.version}-p{changes[-1].id}-{digest}",
                               _by_id={m.id: m for m in ordered})


_CACHE: dict[tuple, Policy] = {}


def effective_policy(session: Session) -> Policy:
    """The policy with every stored change applied (cached by the changes' content: the table is small,
    and a key of only counts could mistake one database's changes for another's)."""
    base = _base_policy()
    rows = session.execute(select(ParameterChange.id, ParameterChange.provision_id, ParameterChange.parameter,
                                  ParameterChange.value_text, ParameterChange.effective_from)
                           .order_by(ParameterChange.id)).all()
    if not rows:
        return base
    key = (base.version, tuple(tuple(r) for r in rows))
    policy = _CACHE.get(key)
    if policy is None:
        changes = session.execute(select(ParameterChange).order_by(ParameterChange.id)).scalars().all()
        policy = apply_changes(base, list(changes))
        if len(_CACHE) > 8:
            _CACHE.clear()
        _CACHE[key] = policy
    return policy


_RECENT: dict[int, tuple[float, Policy]] = {}
RECENT_SECONDS = 2.0


def recent_policy(db) -> Policy:
    """:func:`effective_policy` for the calculator's hot path: looked up at most every RECENT_SECONDS per
    database and process, so an evaluation does not open a transaction (on SQLite, a write lock). A change
    made in this process is seen at once; other server processes see it within two seconds."""
    import time

    now = time.monotonic()
    hit = _RECENT.get(id(db))
    if hit is not None and now - hit[0] < RECENT_SECONDS:
        return hit[1]
    with db.transaction() as s:
        policy = effective_policy(s)
    _RECENT[id(db)] = (now, policy)
    return policy


def change(session: Session, user: User, provision_id: str, parameter: str, value_text: str,
           effective_from: dt.date, reason: str) -> ParameterChange:
    """Record a change by an administrator (checked, audited); it applies from ``effective_from``."""
    from huiqi.workflow.service import PermissionDenied

    if user.role != "admin":
        raise PermissionDenied("only administrators change policy parameters / 仅管理员可调整政策参数")
    policy = effective_policy(session)
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
    value = parse_value(param, value_text)
    with_value(param, value, effective_from)  # refuse now what could not be applied later
    row = ParameterChange(provision_id=provision_id, parameter=parameter, value_text=value_text.strip()[:2000],
                          effective_from=effective_from, reason=reason.strip(), actor=user.username)
    session.add(row)
    session.flush()
    event.listen(session, "after_commit", lambda _s: _RECENT.clear(), once=True)  # seen at once in this process
    before = param.value_on(effective_from)
    audit.append(session, user.username, "parameter.change", f"parameter/{provision_id}.{parameter}", "ok",
                 {"change": row.id, "from": effective_from.isoformat(), "value": row.value_text,
                  "before": None if before is None else str(before if not isinstance(before, list) else "、".join(before)),
                  "reason": row.reason})
    return row


def history(session: Session) -> list[ParameterChange]:
    """Every change, newest first."""
    return list(session.execute(select(ParameterChange).order_by(ParameterChange.id.desc())).scalars())
