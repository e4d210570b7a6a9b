"""The project registry behind the investment measures: the measures whose files declare
``features: [project_registry]``.

Projects are kept by a department (the one that entered or imported them); only it and the
administrators change them. The subsidies those measures grant to projects are judged by the engine
itself from a project's facts (:func:`evaluate_project` builds the applicant profile the calculator uses),
and the targets with ``computed_from`` are computed from the registry (:mod:`huiqi.delivery.targets`),
never typed in. The zones a project may lie in are those of the measure declaring ``four_zones``.

Each policy keeps its own registry (``policy_id``): a project is registered under one notice, checked against
that notice's measures and zones, and counted only in its figures. A project's code is the registry's own
number and stays unique across notices, so the same code cannot name two projects.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.delivery import DeliveryError, NotYours, may_edit, policy_or_default
from huiqi.delivery.fields import date_value, money_fen, yes_no
from huiqi.storage.models import utcnow
from huiqi.storage.models_delivery import Project, ProjectMilestone, ProjectPlanStep
from huiqi.workflow import audit

STAGES = {"reserve": "储备", "preparation": "前期", "started": "开工", "operating": "投产"}
STAGE_BY_ZH = {v: k for k, v in STAGES.items()}
ORIGINS = {"in_province": "省内", "out_of_province": "省外", "foreign": "境外"}
ORIGIN_BY_ZH = {v: k for k, v in ORIGINS.items()}
MONEY_FIELDS = ("total_investment", "annual_investment", "annual_fixed_asset", "equipment")
TEXT_FIELDS = {"code": 40, "name": 200, "investor": 200, "park": 100, "chain": 60, "service_officer": 100}
BOOL_FIELDS = ("packaged", "fits_park_leading_industry", "technical_renovation", "park_development_mode",
               "in_mohan_border_park")


def project_measures(policy=None) -> tuple[str, ...]:
    """The ids of the measures whose projects the registry keeps (``features: [project_registry]``)."""
    from huiqi.delivery.features import measures_with

    return tuple(m.id for m in measures_with("project_registry", policy))


def zone_names(policy=None) -> tuple[str, ...]:
    """The zones of the joint-handling service (``four_zones``), as the text names them; () when none."""
    from huiqi.delivery.features import declared

    found = declared("four_zones", policy)
    return tuple(z.name for z in found[1].zones) if found else ()


def __getattr__(name: str):  # ZONES and PROJECT_MEASURES: the default policy's, read when asked
    if name == "ZONES":
        return zone_names()
    if name == "PROJECT_MEASURES":
        return project_measures()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def clean(data: dict[str, Any], policy=None) -> dict[str, Any]:
    """Checked column values from form or spreadsheet input (Chinese or English stage/origin names), against
    ``policy``'s zones and registry measures (default: the default policy)."""
    policy = policy_or_default(policy)
    from huiqi.standards.divisions import in_kunming_jurisdiction

    out: dict[str, Any] = {}
    for f, limit in TEXT_FIELDS.items():
        v = data.get(f)
        v = None if v is None else str(v).strip()
        if f in ("code", "name", "investor") and not v:
            raise DeliveryError(f, "required / 必填")
        if v and len(v) > limit:
            raise DeliveryError(f, f"at most {limit} characters / 不超过{limit}字")
        out[f] = v or None
    origin = str(data.get("investor_origin") or "").strip()
    origin = ORIGIN_BY_ZH.get(origin, origin)
    if origin not in ORIGINS:
        raise DeliveryError("investor_origin", "one of 省内/省外/境外 (in_province/out_of_province/foreign) / 投资方来源无效")
    out["investor_origin"] = origin
    stage = str(data.get("stage") or "").strip()
    stage = STAGE_BY_ZH.get(stage, stage)
    if stage not in STAGES:
        raise DeliveryError("stage", "one of 储备/前期/开工/投产 / 项目阶段无效")
    out["stage"] = stage
    district = str(data.get("district") or "").strip() or None
    if district and not in_kunming_jurisdiction(district):
        from huiqi.delivery.features import district_refused

        raise DeliveryError("district", district_refused(district, policy))
    out["district"] = district
    code = str(data.get("credit_code") or "").strip().upper() or None
    if code:
        from huiqi.standards.uscc import validate_uscc

        try:
            validate_uscc(code)
        except ValueError as e:
            raise DeliveryError("credit_code", str(e)) from None
    out["credit_code"] = code
    zone = str(data.get("zone") or "").strip() or None
    zones = zone_names(policy)
    if zone and zone not in zones:
        raise DeliveryError("zone", f"one of {'、'.join(zones)} / 不是所列园区之一" if zones
                            else "this policy names no zones / 本政策未设联办园区")
    out["zone"] = zone
    out["total_investment_fen"] = money_fen("total_investment", data.get("total_investment"), required=True)
    for f in MONEY_FIELDS[1:]:
        out[f"{f}_fen"] = money_fen(f, data.get(f))
    for f in BOOL_FIELDS:
        b = yes_no(f, data.get(f))
        out[f] = bool(b) if f in ("packaged", "technical_renovation", "in_mohan_border_park") else b
    out["introduced_on"] = date_value("introduced_on", data.get("introduced_on"))
    measures = data.get("measures") or []
    if isinstance(measures, str):
        measures = [m.strip().lower() for m in measures.replace("，", ",").replace("、", ",").split(",") if m.strip()]
    allowed = project_measures(policy)
    bad = [m for m in measures if m not in allowed]
    if bad:
        raise DeliveryError("measures", f"{', '.join(bad)}: not an investment measure ({', '.join(allowed)}) / 措施编号无效")
    out["measures"] = json.dumps(sorted(set(measures)))
    return out


def _code_taken(session: Session, code: str, policy_id: str, project_id: int | None = None) -> None:
    row = session.execute(select(Project.id, Project.policy_id).where(Project.code == code)).first()
    if row is None or row.id == project_id:
        return
    if row.policy_id != policy_id:
        from huiqi import policies

        try:
            title = policies.load(row.policy_id).header.title_zh
        except policies.UnknownPolicy:
            title = row.policy_id
        raise DeliveryError("code", f"project {code} is registered under another policy ({row.policy_id}) "
                                    f"/ 项目编号已在另一政策（{title}）的项目库中登记")
    raise DeliveryError("code", f"project {code} already exists / 项目编号已存在")


def create(session: Session, user, data: dict[str, Any], policy=None) -> Project:
    """A new project of ``policy``'s registry (default: the default policy), kept by ``user``'s department
    (administrators name the department in ``data``)."""
    policy = policy_or_default(policy)
    values = clean(data, policy)
    department = user.department if user.role == "reviewer" else (data.get("department") or "").strip()
    if user.role not in ("reviewer", "admin"):
        raise NotYours("only departments keep projects / 仅部门用户可登记项目")
    if not department:
        raise DeliveryError("department", "required / 必填")
    _code_taken(session, values["code"], policy.header.id)
    p = Project(department=department, policy_id=policy.header.id, **values)
    session.add(p)
    session.flush()
    audit.append(session, user.username, "project.create", f"project/{p.id}", "ok", {"code": p.code})
    return p


def update(session: Session, user, project_id: int, data: dict[str, Any]) -> Project:
    p = session.get(Project, project_id)
    if p is None:
        raise DeliveryError("project_id", f"unknown project {project_id} / 未找到项目")
    if not may_edit(user, [p.department]):
        raise NotYours(f"project {p.code} is kept by {p.department} / 非本单位项目")
    values = clean({**as_dict(p), **data}, policy_of(p))
    if values["code"] != p.code:
        _code_taken(session, values["code"], p.policy_id, p.id)
    for k, v in values.items():
        setattr(p, k, v)
    p.updated_at = utcnow()
    session.flush()
    audit.append(session, user.username, "project.update", f"project/{p.id}", "ok", {"stage": p.stage})
    return p


def policy_of(p: Project):
    """The policy whose registry keeps ``p``."""
    from huiqi import policies

    return policies.load(p.policy_id)


def as_dict(p: Project) -> dict[str, Any]:
    """A project as form/spreadsheet values (yuan as exact strings)."""
    from huiqi.money import fen_to_yuan

    d = {f: getattr(p, f) for f in (*TEXT_FIELDS, "credit_code", "investor_origin", "stage", "district", "zone", *BOOL_FIELDS,
                                    "introduced_on", "department")}
    for f in MONEY_FIELDS:
        fen = getattr(p, f"{f}_fen")
        d[f] = None if fen is None else str(fen_to_yuan(fen))
    d["measures"] = json.loads(p.measures)
    return d


def add_milestone(session: Session, user, project_id: int, title: str, due: Any = None, done_on: Any = None) -> ProjectMilestone:
    p = _own(session, user, project_id)
    if not title or not title.strip():
        raise DeliveryError("title", "required / 必填")
    m = ProjectMilestone(project_id=p.id, title=title.strip()[:200], due=date_value("due", due), done_on=date_value("done_on", done_on))
    session.add(m)
    session.flush()
    return m


def add_plan_step(session: Session, user, project_id: int, step: str, responsible: str | None = None,
                  status: str = "todo") -> ProjectPlanStep:
    """A step of the project's 一企一案 plan (两个全程 service from introduction to operation)."""
    p = _own(session, user, project_id)
    if not step or not step.strip():
        raise DeliveryError("step", "required / 必填")
    if status not in ("todo", "doing", "done"):
        raise DeliveryError("status", "todo / doing / done")
    n = len(session.execute(select(ProjectPlanStep.id).where(ProjectPlanStep.project_id == p.id)).all())
    s = ProjectPlanStep(project_id=p.id, seq=n + 1, step=step.strip()[:300], responsible=(responsible or "").strip() or None,
                        status=status)
    session.add(s)
    session.flush()
    return s


def _own(session: Session, user, project_id: int) -> Project:
    p = session.get(Project, project_id)
    if p is None:
        raise DeliveryError("project_id", f"unknown project {project_id} / 未找到项目")
    if not may_edit(user, [p.department]):
        raise NotYours(f"project {p.code} is kept by {p.department} / 非本单位项目")
    return p


def profile_of(p: Project, as_of: dt.date) -> dict[str, Any]:
    """The applicant profile the calculator would be given for this project (one project event)."""
    from huiqi.money import fen_to_yuan

    def y(fen):
        return None if fen is None else str(fen_to_yuan(fen))

    event = {"id": p.code[:64], "date": as_of.isoformat(), "name": p.name,
             "annual_investment": y(p.annual_investment_fen),
             "annual_fixed_asset_investment": y(p.annual_fixed_asset_fen),
             "fixed_asset_investment": y(p.total_investment_fen), "equipment_investment": y(p.equipment_fen),
             "fits_park_leading_industry": p.fits_park_leading_industry, "technical_renovation": p.technical_renovation,
             "in_mohan_border_park": p.in_mohan_border_park, "park_development_mode": p.park_development_mode}
    profile = {"kind": "enterprise", "name": p.investor, "credit_code": p.credit_code, "district": p.district,
               "projects": [{k: v for k, v in event.items() if v is not None}]}
    return {k: v for k, v in profile.items() if v is not None}


def evaluate_project(p: Project, as_of: dt.date, policy=None) -> list:
    """The engine's results for the project's own provisions (the registry measures' subsidies judged on a
    project event): the same rules the calculator and the batch screen use."""
    from huiqi import policies
    from huiqi.engine.evaluate import evaluate
    from huiqi.profile.model import Profile

    policy = policy or policies.load(p.policy_id)
    if not p.credit_code:  # the engine judges an organisation by its credit code; without it, nothing to say
        return []
    result = evaluate(policy, Profile.model_validate(profile_of(p, as_of)), as_of)
    measures = project_measures(policy)
    return [r for r in result.results if r.event_id == p.code[:64] and r.provision_id.split(".")[0] in measures]
