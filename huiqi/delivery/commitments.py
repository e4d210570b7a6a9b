"""The commitments ledger (督办台账): every measure broken into its sentences of commitment, seeded
from the policy data (never typed by hand), with progress reports, history and overdue warnings.

A commitment is one sentence of the measure's text (split at 。 and ；), without the measure's
heading and its lead-department parenthesis. It belongs to the measure's lead departments and is
due at the end of the measure's in-force period (the policy's general period unless the measure has its own).

Every notice has its own commitments: the number people read (``<measure>.c03``) is unique within a policy, and
the stored key is ``<policy id>/<measure>.c03`` (:func:`key`) — two notices may both number a measure's third sentence alike.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.delivery import DeliveryError, NotYours, may_edit, policy_or_default
from huiqi.rules.loader import Policy
from huiqi.storage.models import utcnow
from huiqi.storage.models_delivery import Commitment, CommitmentReport
from huiqi.workflow import audit

STATUSES = ("not_started", "in_progress", "done")
STATUS_ZH = {"not_started": "未启动", "in_progress": "推进中", "done": "已完成", "overdue": "已逾期"}


def key(policy_id: str, code: str) -> str:
    """The stored key of commitment ``code`` (``<measure>.c03``) of policy ``policy_id``."""
    return f"{policy_id}/{code}"


@dataclass(frozen=True)
class Seed:
    id: str  # the number within the policy: <measure>.c03
    measure_id: str
    seq: int
    sentence: str
    departments: tuple[str, ...]
    due: dt.date


def sentences(measure) -> list[str]:
    """The measure's sentences of commitment, verbatim, in order."""
    text = measure.text.strip()
    text = text.replace(f"（{measure.lead_departments_text}）", "")
    text = re.sub(r"^（[一二三四五六七八九十]+）[^。]*。", "", text)  # the heading: （七）大力支持数实融合。
    parts = re.findall(r"[^。；]+[。；]?", text)
    return [p.strip() for p in parts if len(p.strip().rstrip("。；")) >= 4]


def extract(policy: Policy) -> list[Seed]:
    out = []
    for m in policy.measures:
        due = policy.in_force(m).end
        deps = tuple(d.name for d in m.lead_departments)
        for i, s in enumerate(sentences(m), start=1):
            out.append(Seed(f"{m.id}.c{i:02d}", m.id, i, s, deps, due))
    return out


def seed(session: Session, policy: Policy) -> int:
    """Create the policy's commitments that are missing (idempotent); returns how many were added."""
    pid = policy.header.id
    have = set(session.execute(select(Commitment.id).where(Commitment.policy_id == pid)).scalars())
    added = 0
    for s in extract(policy):
        if key(pid, s.id) not in have:
            session.add(Commitment(id=key(pid, s.id), policy_id=pid, measure_id=s.measure_id, seq=s.seq,
                                   sentence=s.sentence, due=s.due,
                                   departments=json.dumps(list(s.departments), ensure_ascii=False)))
            added += 1
    session.flush()
    return added


def departments(c: Commitment) -> list[str]:
    return json.loads(c.departments)


def shown_status(c: Commitment, today: dt.date) -> str:
    """The status people see: overdue when past due and not done."""
    return "overdue" if c.status != "done" and today > c.due else c.status


def find(session: Session, policy, code: str) -> Commitment | None:
    """Commitment ``code`` (``<measure>.c03``) of ``policy`` (default: the default policy)."""
    if not code or "/" in code:
        return None
    return session.get(Commitment, key(policy_or_default(policy).header.id, code))


def report(session: Session, user, commitment_id: str, status: str, note: str,
           evidence: tuple[str, bytes] | None = None, policy=None) -> CommitmentReport:
    """A department reports progress (with optional evidence) on commitment ``commitment_id`` (``<measure>.c03``)
    of     ``policy`` (default: the default policy); only its own commitments."""
    c = find(session, policy, commitment_id)
    if c is None:
        raise DeliveryError("commitment_id", f"unknown commitment {commitment_id} / 未知的任务")
    if not may_edit(user, departments(c)):
        raise NotYours(f"{commitment_id} belongs to {'、'.join(departments(c))} / 非本单位任务")
    if status not in STATUSES:
        raise DeliveryError("status", f"status must be one of {', '.join(STATUSES)} / 状态无效")
    if not note or not note.strip():
        raise DeliveryError("note", "describe the progress / 须填写进展情况")
    sha = name = None
    if evidence is not None and evidence[1]:
        from huiqi.workflow.evidence import EvidenceRejected, store_bytes

        try:
            sha = store_bytes(evidence[1])
        except EvidenceRejected as e:
            raise DeliveryError("evidence", str(e)) from None
        name = evidence[0][:200] or "file"
    row = CommitmentReport(commitment_id=c.id, status=status, note=note.strip()[:5000], evidence_sha256=sha,
                           evidence_name=name, actor=user.username, department=user.department)
    session.add(row)
    c.status, c.updated_at = status, utcnow()
    session.flush()
    audit.append(session, user.username, "commitment.report", f"commitment/{c.id}", "ok",
                 {"status": status, "evidence": sha})
    return row


def history(session: Session, commitment_id: str, policy=None) -> list[CommitmentReport]:
    """The reports on commitment ``commitment_id`` (``<measure>.c03``) of ``policy`` (default: the default policy),
    oldest first."""
    stored = key(policy_or_default(policy).header.id, commitment_id)
    return list(session.execute(select(CommitmentReport).where(CommitmentReport.commitment_id == stored)
                                .order_by(CommitmentReport.id)).scalars())


def listing(session: Session, today: dt.date, department: str | None = None, measure_id: str | None = None,
            status: str | None = None, policy=None) -> list[Commitment]:
    """The commitments of ``policy`` (default: the default policy) filtered by department, measure and shown
    status (overdue included)."""
    pid = policy_or_default(policy).header.id
    q = select(Commitment).where(Commitment.policy_id == pid).order_by(Commitment.measure_id, Commitment.seq)
    if measure_id:
        q = q.where(Commitment.measure_id == measure_id)
    rows = list(session.execute(q).scalars())
    if department:
        rows = [c for c in rows if department in departments(c)]
    if status:
        rows = [c for c in rows if shown_status(c, today) == status]
    return rows


def summary(rows: list[Commitment], today: dt.date) -> dict[str, int]:
    out = {s: 0 for s in (*STATUSES, "overdue")}
    for c in rows:
        out[shown_status(c, today)] += 1
    return out
