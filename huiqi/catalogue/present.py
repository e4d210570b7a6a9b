"""Plain-data views of the policy, shared by the CLI and the API so they cannot drift.

Money stays exact: yuan parameters are emitted as JSON numbers from Decimal
(integers where whole) together with a ``display`` string such as ``¥500,000.00``;
ratios get ``30%``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from huiqi.money import format_yuan
from huiqi.rules.loader import Policy
from huiqi.rules.model import Measure, Parameter, Provision, Unit


def display_value(param: Parameter, value: Any) -> str:
    if param.unit is Unit.yuan:
        return format_yuan(value)
    if param.unit is Unit.ratio:
        pct = (Decimal(value) * 100).normalize()
        return f"{pct:f}%"
    if param.unit is Unit.date:
        return value.isoformat()
    if param.unit is Unit.text_set:
        return "、".join(value)
    return f"{Decimal(value):f}"


def parameter_dict(param: Parameter) -> dict[str, Any]:
    d = param.model_dump(mode="python", by_alias=True, exclude_none=True)
    for entry, v in zip(d["values"], param.values):
        entry["display"] = display_value(param, v.value)
    return d


def provision_dict(provision: Provision) -> dict[str, Any]:
    d = provision.model_dump(mode="python", by_alias=True, exclude_none=True, exclude={"parameters"})
    d["is_cap"] = provision.is_cap
    d["parameters"] = {name: parameter_dict(p) for name, p in provision.parameters.items()}
    return d


def measure_dict(policy: Policy, measure: Measure) -> dict[str, Any]:
    """A measure with its effective in-force period and its interpreting departments resolved."""
    d = measure.model_dump(mode="python", by_alias=True, exclude_none=True, exclude={"provisions", "in_force"})
    period = policy.in_force(measure)
    d["in_force"] = {
        "start": period.start,
        "end": period.end,
        "own_period": measure.in_force is not None,
        "citation": period.citation,
    }
    d["interpreted_by"] = [dep.name for dep in measure.lead_departments]
    d["overlap_rule"] = policy.header.general.overlap.principle_zh
    d["provisions"] = [provision_dict(p) for p in measure.provisions]
    d["policy_version"] = policy.version
    return d


def measure_brief(measure: Measure) -> dict[str, Any]:
    return {
        "id": measure.id,
        "number": measure.number,
        "chapter": measure.chapter,
        "title_zh": measure.title_zh,
        "title_en": measure.title_en,
        "lead_departments": [d.name for d in measure.lead_departments],
        "provision_count": len(measure.provisions),
    }


def policy_dict(policy: Policy) -> dict[str, Any]:
    h = policy.header
    d = h.model_dump(mode="python", by_alias=True, exclude_none=True)
    d["version"] = policy.version
    d["measure_count"] = len(policy.measures)
    d["provision_count"] = sum(len(m.provisions) for m in policy.measures)
    return d
