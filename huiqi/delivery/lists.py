"""Published lists: the lists a measure requires to be published (its file declares ``published_lists``
with each list's key and names — for instance lists of projects offered to private capital). An entry is
public from the date it is published until it is withdrawn; drafts are seen only by departments. Each policy
publishes its own lists (``policy_id``): an entry is added under one notice and shown only with it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.delivery import DeliveryError, NotYours, may_edit, policy_or_default
from huiqi.delivery.fields import date_value, money_fen
from huiqi.storage.models_delivery import ListEntry
from huiqi.workflow import audit



def kinds(policy=None) -> dict[str, tuple[str, str]]:
    """key → (中文, English) of the lists the policy requires, in the order its measure file gives them."""
    from huiqi.delivery.features import declared

    found = declared("published_lists", policy)
    return {k.key: (k.name_zh, k.name_en) for k in found[1].lists} if found else {}


def __getattr__(name: str):  # KINDS and KIND_BY_ZH: the default policy's, read when asked
    if name == "KINDS":
        return kinds()
    if name == "KIND_BY_ZH":
        return {zh: k for k, (zh, _) in kinds().items()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def clean(data: dict[str, Any], policy=None) -> dict[str, Any]:
    from huiqi.standards.divisions import in_kunming_jurisdiction

    known = kinds(policy)
    kind = str(data.get("kind") or "").strip()
    kind = {zh: k for k, (zh, _) in known.items()}.get(kind, kind)
    if kind not in known:
        raise DeliveryError("kind", f"one of: {'、'.join(zh for zh, _ in known.values()) or '—'} / 清单类别无效")
    name = str(data.get("name") or "").strip()
    if not name:
        raise DeliveryError("name", "required / 必填")
    district = str(data.get("district") or "").strip() or None
    if district and not in_kunming_jurisdiction(district):
        from huiqi.delivery.features import district_refused

        raise DeliveryError("district", district_refused(district, policy))
    sector = str(data.get("sector") or "").strip() or None
    if sector and len(sector) > 100:  # its column's width (PostgreSQL refuses longer text: it was a 500 there)
        raise DeliveryError("sector", "at most 100 characters / 不超过100字")
    return {"kind": kind, "name": name[:200], "sector": sector,
            "district": district, "investment_fen": money_fen("investment", data.get("investment")),
            "contact": (str(data.get("contact") or "").strip()[:200] or None),
            "published_on": date_value("published_on", data.get("published_on"))}


def _first_lead_department(policy) -> str:
    """An administrator's entry with no department belongs to the first lead department of the measure
    requiring the lists."""
    from huiqi.delivery.features import declared

    found = declared("published_lists", policy)
    return found[0].lead_departments[0].name if found else ""


def add(session: Session, user, data: dict[str, Any], policy=None) -> ListEntry:
    """A new entry of one of ``policy``'s lists (default: the default policy), kept by ``user``'s department."""
    policy = policy_or_default(policy)
    if user.role not in ("reviewer", "admin"):
        raise NotYours("only departments publish lists / 仅部门用户可发布清单")
    department = user.department if user.role == "reviewer" else (str(data.get("department") or "").strip()
                                                                    or _first_lead_department(policy))
    from huiqi.workflow.accounts import known_departments

    if department not in known_departments():
        raise DeliveryError("department", f"'{department}' is not a department of the policy / 不是政策所列部门")
    entry = ListEntry(department=department, policy_id=policy.header.id, **clean(data, policy))
    session.add(entry)
    session.flush()
    audit.append(session, user.username, "list.add", f"list_entry/{entry.id}", "ok", {"kind": entry.kind})
    return entry


def publish(session: Session, user, entry_id: int, on: dt.date) -> ListEntry:
    e = _own(session, user, entry_id)
    e.published_on, e.withdrawn_on = on, None
    audit.append(session, user.username, "list.publish", f"list_entry/{e.id}", "ok", {"on": on.isoformat()})
    return e


def withdraw(session: Session, user, entry_id: int, on: dt.date) -> ListEntry:
    e = _own(session, user, entry_id)
    e.withdrawn_on = on
    audit.append(session, user.username, "list.withdraw", f"list_entry/{e.id}", "ok", {"on": on.isoformat()})
    return e


def _own(session: Session, user, entry_id: int) -> ListEntry:
    e = session.get(ListEntry, entry_id)
    if e is None:
        raise DeliveryError("entry_id", f"unknown entry {entry_id} / 未找到清单条目")
    if not may_edit(user, [e.department]):
        raise NotYours(f"entry {entry_id} is kept by {e.department} / 非本单位清单")
    return e


def public(session: Session, today: dt.date, kind: str | None = None, district: str | None = None,
           q: str | None = None, policy=None) -> list[ListEntry]:
    """What the public sees of ``policy``'s lists (default: the default policy): entries published on or
    before ``today`` and not withdrawn by then."""
    stmt = select(ListEntry).where(ListEntry.policy_id == policy_or_default(policy).header.id,
                                   ListEntry.published_on.is_not(None), ListEntry.published_on <= today)
    if kind:
        stmt = stmt.where(ListEntry.kind == kind)
    if district:
        stmt = stmt.where(ListEntry.district == district)
    rows = [e for e in session.execute(stmt.order_by(ListEntry.published_on.desc(), ListEntry.id)).scalars()
            if e.withdrawn_on is None or e.withdrawn_on > today]
    if q:
        q = q.casefold()
        rows = [e for e in rows if q in e.name.casefold() or q in (e.sector or "").casefold()]
    return rows
