"""Target figures computed from the registry, never typed in (m17 counts, m16 named projects).

m17: 年内引进亿元以上省外产业项目160个以上，其中10亿元以上省外产业项目20个以上 — projects whose investor is
from outside the province (省外; in-province and foreign 境外 investors are not counted), introduced in
the target's year, with total investment of at least the threshold (以上 includes the figure:
exactly 1亿 counts). 围绕“8+N”产业链…策划包装不少于100个 — projects marked as packaged with their chain
named (the registry holds the current programme; the text gives no date of its own for this one).
m16: the named projects, found in the registry by name, achieved once started (开工) or operating.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.storage.models_delivery import Project

STARTED = ("started", "operating")
# the targets whose figures come from the registry (reporting them by hand is refused)
REGISTRY_TARGETS = frozenset({"m17.out_of_province_projects_100m", "m17.out_of_province_projects_1bn",
                              "m17.packaged_investment_projects", "m16.projects_to_start", "m16.projects_to_accelerate"})


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


def computed(session: Session, policy) -> list[Figure]:
    projects = list(session.execute(select(Project).order_by(Project.code)).scalars())
    out = []
    for m in policy.measures:
        for t in m.targets:
            if m.id == "m17" and "min_project_investment" in t.thresholds:
                floor_fen = int(t.thresholds["min_project_investment"] * 100)
                counted = [p for p in projects if p.investor_origin == "out_of_province" and p.introduced_on
                           and p.introduced_on.year == t.due.year and p.total_investment_fen >= floor_fen]
                out.append(_figure(t, counted))
            elif t.id == "m17.packaged_investment_projects":
                counted = [p for p in projects if p.packaged and p.chain]
                out.append(_figure(t, counted))
            elif m.id == "m16" and t.items:
                named = []
                for item in t.items:
                    match = next((p for p in projects if item in p.name), None)
                    named.append({"item": item, "code": match.code if match else None,
                                  "stage": match.stage if match else None,
                                  "achieved": bool(match and match.stage in STARTED)})
                f = Figure(t.id, t.label_zh, t.label_en, Decimal(len(t.items)), sum(n["achieved"] for n in named),
                           None, t.unit, named)
                f.met = f.actual >= len(t.items)
                out.append(f)
    return out


def _figure(t, counted: list[Project]) -> Figure:
    actual = len(counted)
    met = None if t.value is None else (actual >= t.value if t.comparison in (None, ">=") else actual > t.value)
    return Figure(t.id, t.label_zh, t.label_en, t.value, actual, met, t.unit,
                  [{"code": p.code, "name": p.name, "total_investment_fen": p.total_investment_fen} for p in counted])
