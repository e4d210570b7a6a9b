"""一区申请、四区联办 (m21): a project's application is filed once, in any of the four zones, and is
then visible to and processed by the four zones' committees, each with its own status."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.delivery import DeliveryError, NotYours
from huiqi.delivery.projects import ZONES
from huiqi.storage.models import utcnow
from huiqi.storage.models_delivery import Project, ZoneCase, ZoneCaseStatus
from huiqi.workflow import audit

ZONE_STATUSES = {"received": "已接收", "processing": "办理中", "done": "已办结", "not_applicable": "无需本区办理"}
# the committees' departments as users are registered (m21 names them: 按职责分工负责)
ZONE_DEPARTMENTS = {"磨憨—磨丁合作区": "磨憨—磨丁合作区管委会", "自贸试验区昆明片区": "自贸试验区昆明片区管委会",
                    "经开区": "经开区管委会", "昆明综保区": "昆明综保区管委会"}


def zone_of(user) -> str | None:
    """The zone whose committee ``user`` works for, if any."""
    return next((z for z, d in ZONE_DEPARTMENTS.items() if user.department == d), None)


def file(session: Session, user, project_id: int, zone: str, matter: str) -> ZoneCase:
    """File once (in ``zone``); the case opens at all four zones with status 已接收."""
    if zone not in ZONES:
        raise DeliveryError("zone", f"one of {'、'.join(ZONES)} / 不是“四区”之一")
    if session.get(Project, project_id) is None:
        raise DeliveryError("project_id", f"unknown project {project_id} / 未找到项目")
    if not matter or not matter.strip():
        raise DeliveryError("matter", "describe the matter / 须填写申请事项")
    case = ZoneCase(project_id=project_id, filed_zone=zone, matter=matter.strip()[:5000], filed_by=user.username)
    session.add(case)
    session.flush()
    for z in ZONES:
        session.add(ZoneCaseStatus(case_id=case.id, zone=z, status="received", updated_by=user.username))
    session.flush()
    audit.append(session, user.username, "zone_case.file", f"zone_case/{case.id}", "ok", {"zone": zone})
    return case


def set_status(session: Session, user, case_id: int, zone: str, status: str, note: str | None = None) -> ZoneCaseStatus:
    """A zone's committee moves its own status; other zones' statuses are theirs."""
    if status not in ZONE_STATUSES:
        raise DeliveryError("status", f"one of {', '.join(ZONE_STATUSES)} / 状态无效")
    if user.role != "admin" and zone_of(user) != zone:
        raise NotYours(f"only {ZONE_DEPARTMENTS.get(zone, zone)} updates {zone} / 仅本区管委会可办理")
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
