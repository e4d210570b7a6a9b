"""一区申请、多区联办: a project's application is filed once, in any of the zones, and is then visible to
and processed by every zone's committee, each with its own status. The zones and their committees are those
of the measure whose file declares ``four_zones`` (:func:`huiqi.delivery.projects.zone_names`) in the policy
whose registry keeps the project."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.delivery import DeliveryError, NotYours
from huiqi.delivery.projects import policy_of, zone_names
from huiqi.storage.models import utcnow
from huiqi.storage.models_delivery import Project, ZoneCase, ZoneCaseStatus
from huiqi.workflow import audit

ZONE_STATUSES = {"received": "已接收", "processing": "办理中", "done": "已办结", "not_applicable": "无需本区办理"}


def zone_departments(policy=None) -> dict[str, str]:
    """zone → the committee's department as users are registered, from the ``four_zones`` declaration."""
    from huiqi.delivery.features import declared

    found = declared("four_zones", policy)
    return {z.name: z.committee for z in found[1].zones} if found else {}


def __getattr__(name: str):  # ZONE_DEPARTMENTS: the default policy's, read when asked
    if name == "ZONE_DEPARTMENTS":
        return zone_departments()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def zone_of(user, policy=None) -> str | None:
    """The zone of ``policy`` (default: the default policy) whose committee ``user`` works for, if any."""
    return next((z for z, d in zone_departments(policy).items() if user.department == d), None)


def file(session: Session, user, project_id: int, zone: str, matter: str) -> ZoneCase:
    """File once (in ``zone``); the case opens at every zone with status 已接收."""
    project = session.get(Project, project_id)
    if project is None:
        raise DeliveryError("project_id", f"unknown project {project_id} / 未找到项目")
    zones = zone_names(policy_of(project))
    if zone not in zones:
        raise DeliveryError("zone", f"one of {'、'.join(zones)} / 不是所列园区之一" if zones
                            else "this policy names no zones / 本政策未设联办园区")
    if not matter or not matter.strip():
        raise DeliveryError("matter", "describe the matter / 须填写申请事项")
    case = ZoneCase(project_id=project_id, filed_zone=zone, matter=matter.strip()[:5000], filed_by=user.username)
    session.add(case)
    session.flush()
    for z in zones:
        session.add(ZoneCaseStatus(case_id=case.id, zone=z, status="received", updated_by=user.username))
    session.flush()
    audit.append(session, user.username, "zone_case.file", f"zone_case/{case.id}", "ok", {"zone": zone})
    return case


def set_status(session: Session, user, case_id: int, zone: str, status: str, note: str | None = None) -> ZoneCaseStatus:
    """A zone's committee moves its own status; other zones' statuses are theirs."""
    if status not in ZONE_STATUSES:
        raise DeliveryError("status", f"one of {', '.join(ZONE_STATUSES)} / 状态无效")
    case = session.get(ZoneCase, case_id)
    project = session.get(Project, case.project_id) if case is not None else None
    if project is None:
        raise DeliveryError("case_id", f"no case {case_id} at {zone} / 未找到该联办事项")
    policy = policy_of(project)
    if user.role != "admin" and zone_of(user, policy) != zone:
        raise NotYours(f"only {zone_departments(policy).get(zone, zone)} updates {zone} / 仅本区管委会可办理")
    row = session.get(ZoneCaseStatus, (case_id, zone))
    if row is None:
        raise DeliveryError("case_id", f"no case {case_id} at {zone} / 未找到该联办事项")
    row.status, row.note, row.updated_by, row.updated_at = status, (note or "").strip()[:2000] or None, user.username, utcnow()
    session.flush()
    audit.append(session, user.username, "zone_case.status", f"zone_case/{case_id}", "ok", {"zone": zone, "status": status})
    return row


def statuses(session: Session, case_id: int) -> dict[str, ZoneCaseStatus]:
    rows = session.execute(select(ZoneCaseStatus).where(ZoneCaseStatus.case_id == case_id)).scalars()
    return {r.zone: r for r in rows}


def overall(statuses_by_zone: dict[str, ZoneCaseStatus]) -> str:
    """办结 when every zone is done or not concerned; 办理中 once any zone has started."""
    values = [s.status for s in statuses_by_zone.values()]
    if values and all(v in ("done", "not_applicable") for v in values):
        return "done"
    return "processing" if any(v != "received" for v in values) else "received"
