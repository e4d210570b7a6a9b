"""Target figures computed from the registry, never typed in.

Which targets and how they are counted is policy data: a target with ``computed_from`` in its measure file
(:class:`huiqi.rules.model.RegistryCount`) is counted here from the project registry, by the rule written
there — the investor's origin (省外 counts; in-province and foreign investors do not), the year of
introduction (年内: the year of the target's due date), the total investment of at least the threshold the
target names (以上 includes the figure: exactly 1亿 counts), packaged projects with their chain named, or
each named project found by name and achieved once at one of the stages given. Only the projects of the
target's own policy are counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.storage.models_delivery import Project


def computed_targets(policy=None) -> list:
    """The targets of ``policy`` (default: the default policy) counted from a registry."""
    if policy is None:
        from huiqi import policies

        policy = policies.load()
    return [t for m in policy.measures for t in m.targets if t.computed_from is not None]


def is_computed(target_id: str, policy=None) -> bool:
    """True when the target's figure comes from a registry (reporting it by hand is refused)."""
    return any(t.id == target_id for t in computed_targets(policy))


def registry_targets(policy=None) -> frozenset[str]:
    """The ids of ``policy``'s targets whose figures come from the registry (reporting them by hand is refused)."""
    return frozenset(t.id for t in computed_targets(policy))


class _RegistryTargets:
    """``id in REGISTRY_TARGETS``: the default policy's registry targets, read when asked. Code that knows its
    policy asks :func:`registry_targets` or :func:`is_computed` with it."""

    def __contains__(self, target_id: object) -> bool:
        return isinstance(target_id, str) and is_computed(target_id)

    def __iter__(self):
        return iter(sorted(registry_targets()))


REGISTRY_TARGETS = _RegistryTargets()


@dataclass
class Figure:
    target_id: str
    label_zh: str
    label_en: str
    goal: Decimal | None
    actual: int
    met: bool | None
    unit: str
    items: list[dict] = field(default_factory=list)  # the projects counted (or the named ones)
    named: bool = False  # items are the target's named projects (found or not), not the projects counted


def _counts(rule, t, p: Project) -> bool:
    if rule.investor_origin and p.investor_origin not in rule.investor_origin:
        return False
    if rule.introduced == "in_year_due" and not (p.introduced_on and p.introduced_on.year == t.due.year):
        return False
    if rule.total_investment_at_least:
        floor_fen = int(t.thresholds[rule.total_investment_at_least] * 100)
        if p.total_investment_fen < floor_fen:
            return False
    if rule.packaged is not None and bool(p.packaged) != rule.packaged:
        return False
    if rule.chain_named and not p.chain:
        return False
    return True


def computed(session: Session, policy) -> list[Figure]:
    """The figures of ``policy``'s registry targets, counted from its own projects only."""
    projects = list(session.execute(select(Project).where(Project.policy_id == policy.header.id)
                                    .order_by(Project.code)).scalars())
    out = []
    for t in computed_targets(policy):
        rule = t.computed_from
        if rule.count == "projects":
            out.append(_figure(t, [p for p in projects if _counts(rule, t, p)]))
            continue
        named = []
        for item in t.items:
            match = next((p for p in projects if item in p.name), None)
            named.append({"item": item, "code": match.code if match else None,
                          "stage": match.stage if match else None,
                          "achieved": bool(match and match.stage in rule.achieved_at_stages)})
        f = Figure(t.id, t.label_zh, t.label_en, Decimal(len(t.items)), sum(n["achieved"] for n in named),
                   None, t.unit, named, named=True)
        f.met = f.actual >= len(t.items)
        out.append(f)
    return out


def _figure(t, counted: list[Project]) -> Figure:
    actual = len(counted)
    met = None if t.value is None else (actual >= t.value if t.comparison in (None, ">=") else actual > t.value)
    return Figure(t.id, t.label_zh, t.label_en, t.value, actual, met, t.unit,
                  [{"code": p.code, "name": p.name, "total_investment_fen": p.total_investment_fen} for p in counted])
