"""Changing a policy's figures: one operation for administrators, what-if runs and test cases.

A :class:`Change` names a figure (``m07.compute_voucher.rate``, or a pool such as
``m07.compute_voucher_pool``), gives its new value as text, and says from when it applies. An
administrator's decision applies from an effective date: the value in force that day ends the day
before and the new one runs to where that one ran (OpenFisca's ``Parameter.update`` works the same
way). A what-if (``simulate --set``) or a test case's inline figure has no date: it replaces the
value in every period. Either way the result is validated like a policy file, and the policy gets a
version naming the changes, so an answer says which figures it used and caches never mix.

The one parser of a value typed by a person is :func:`parse_value`: ``30%`` or ``0.30`` for a
ratio, yuan exact to the fen (``¥1,000,000.00`` is fine), ISO dates, names separated by 、 or commas.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Iterable

from pydantic import ValidationError

from huiqi.rules.model import DatedValue, Measure, Parameter, Unit

if TYPE_CHECKING:  # pragma: no cover
    from huiqi.rules.loader import Policy


class ChangeError(ValueError):
    """A change that cannot be made; ``field`` names what is wrong (value, target, effective_from)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


@dataclasses.dataclass(frozen=True)
class Change:
    """A new value for one figure. ``effective_from`` None: every period (a what-if, a test case)."""

    target: str  # "<provision id>.<parameter>" or a pool id
    value_text: str
    effective_from: dt.date | None = None
    label: str = ""  # who and why, for "which changes were applied" (e.g. "#3 admin 2024-06-01")

    def describe(self) -> str:
        when = f"，自 {self.effective_from} 起 / from {self.effective_from}" if self.effective_from else "（全部期间 / all periods）"
        return f"{self.target} = {self.value_text}{when}{f'  [{self.label}]' if self.label else ''}"


_MAX_YUAN = Decimal("1e15")


def parse_value(unit: Unit, text: str) -> object:
    """The typed value of ``text`` for a figure of ``unit``; raises :class:`ChangeError` (field ``value``)."""
    text = str(text).strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
    if not text:
        raise ChangeError("value", "a value is required / 请填写新数值")
    if len(text) > 2000:
        raise ChangeError("value", "too long / 内容过长")
    if unit is Unit.date:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ChangeError("value", f"'{text[:40]}' is not a date (YYYY-MM-DD) / 不是有效日期") from None
    if unit is Unit.text_set:
        names = [n.strip() for n in re.split(r"[、,;；\n]", text) if n.strip()]
        if not names:
            raise ChangeError("value", "at least one name / 至少一项")
        return names
    percent = text.endswith("%")
    body = text.rstrip("%")
    if not re.fullmatch(r"\d+(\.\d+)?|\.\d+", body):  # no exponents, signs, underscores or full-width digits
        if re.fullmatch(r"-\d+(\.\d+)?", body):
            raise ChangeError("value", "must not be negative / 不能为负数")
        raise ChangeError("value", f"'{text[:40]}' is not a number / 不是数字")
    try:
        number = Decimal(body)
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        raise ChangeError("value", f"'{text[:40]}' is not a number / 不是数字") from None
    if percent:
        if unit is not Unit.ratio:
            raise ChangeError("value", "a percentage only for a ratio / 仅比例可填百分数")
        number = number / 100
    if unit is Unit.yuan and (number != number.quantize(Decimal("0.01")) or number > _MAX_YUAN):
        raise ChangeError("value", "money is exact to the fen (two decimals) / 金额最多两位小数")
    if unit is Unit.ratio and number > 1:
        raise ChangeError("value", "a ratio is at most 100% (write 30% or 0.30) / 比例不超过100%")
    if unit is Unit.count and number != number.to_integral_value():
        raise ChangeError("value", "a count is a whole number / 须为整数")
    return number


def with_value(param: Parameter, value: object, effective_from: dt.date | None) -> Parameter:
    """``param`` with ``value`` in force from ``effective_from`` (every period when None)."""
    if effective_from is None:
        values = [v.model_copy(update={"value": value}) for v in param.values]
    else:
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
        values = [*kept, DatedValue.model_validate({"from": effective_from, "to": end, "value": value,
                                                    "note": "administrator's change / 管理员调整"})]
    try:
        return Parameter.model_validate({**param.model_dump(by_alias=True),
                                         "values": [v.model_dump(by_alias=True) for v in values]})
    except ValidationError as e:
        raise ChangeError("value", e.errors()[0]["msg"]) from None


def locate(policy: "Policy", target: str) -> tuple[Measure, str, str | None]:
    """(measure, provision or pool id, parameter name or None for a pool) of ``target``, or ChangeError."""
    target = target.strip()
    measure = policy.measure(target.split(".")[0]) if target else None
    if measure is not None:
        if any(p.id == target for p in measure.pools):
            return measure, target, None
        provision_id, _, name = target.rpartition(".")
        provision = measure.provision(provision_id)
        if provision is not None and name in provision.parameters:
            return measure, provision_id, name
        if provision is not None:
            raise ChangeError("target", f"unknown parameter: {provision_id} has no parameter '{name}' / 该条款无此参数"
                                        f"（有：{', '.join(provision.parameters) or '无'}）")
    raise ChangeError("target", f"unknown parameter or pool '{target[:80]}' (write <provision id>.<parameter>, "
                                "e.g. m07.compute_voucher.rate, or a pool id) / 未知的参数或资金池")


def apply_one(measure: Measure, owner_id: str, name: str | None, change: Change) -> Measure:
    """``measure`` with one change made (validated like a policy file)."""
    if name is None:  # a pool's total
        if change.effective_from is not None:
            raise ChangeError("effective_from", "a pool's total has no effective date / 资金池总额不按日期调整")
        total = parse_value(Unit.yuan, change.value_text)
        pools = [p.model_copy(update={"total": total}) if p.id == owner_id else p for p in measure.pools]
        data = {**measure.model_dump(by_alias=True), "pools": [p.model_dump(by_alias=True) for p in pools]}
        try:
            return Measure.model_validate(data)
        except ValidationError as e:
            raise ChangeError("value", e.errors()[0]["msg"]) from None
    provision = measure.provision(owner_id)
    assert provision is not None
    param = provision.parameters[name]
    new_param = with_value(param, parse_value(param.unit, change.value_text), change.effective_from)
    new_provision = provision.model_copy(update={"parameters": {**provision.parameters, name: new_param}})
    return measure.model_copy(update={"provisions": [new_provision if p.id == owner_id else p
                                                     for p in measure.provisions]})


def apply(policy: "Policy", changes: Iterable[Change], tag: str = "c") -> "Policy":
    """``policy`` with ``changes`` made in order (a later one wins) and a version that names them
    (``<files hash>-<tag>-<hash of the changes>``; stored changes use ``p<last change id>`` as the tag)."""
    changes = list(changes)
    if not changes:
        return policy
    measures = {m.id: m for m in policy.measures}
    for c in changes:
        measure, owner, name = locate(policy, c.target)
        measures[measure.id] = apply_one(measures[measure.id], owner, name, c)
    ordered = tuple(measures[m.id] for m in policy.measures)
    digest = hashlib.sha256("\n".join(f"{c.target}|{c.value_text}|{c.effective_from}" for c in changes)
                            .encode()).hexdigest()[:8]
    return dataclasses.replace(policy, measures=ordered, version=f"{policy.version}-{tag}-{digest}",
                               _by_id={m.id: m for m in ordered}, changes=(*policy.changes, *changes))
