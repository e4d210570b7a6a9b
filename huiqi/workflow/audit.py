"""The hash-chained audit log: every state change, parameter change and login, tamper-evident.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's own canonical JSON
(time, actor, action, object, outcome, detail). Appends are serialised by first updating the
one-row ``audit_head`` inside the caller's transaction, so two writers can never chain onto the
same predecessor. :func:`verify` recomputes the chain and names the first entry that was edited,
deleted, reordered or forged; :func:`head` is what the public notice page shows.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from huiqi.storage.models import AuditEntry, AuditHead, utcnow

GENESIS = "0" * 64


def entry_hash(prev_hash: str, at: str, actor: str, action: str, obj: str, outcome: str, detail: str) -> str:
    body = json.dumps([at, actor, action, obj, outcome, detail], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _ensure_head(session: Session) -> None:
    if session.get(AuditHead, 1) is None:
        session.add(AuditHead(id=1, seq=0, hash=GENESIS))
        session.flush()


def append(session: Session, actor: str, action: str, obj: str, outcome: str = "ok", detail: dict | None = None) -> AuditEntry:
    """Add an entry in the caller's transaction (so it commits or rolls back with the change it records)."""
    _ensure_head(session)
    # take the head's row lock first: concurrent appends queue here (PostgreSQL) / hold the write lock (SQLite)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq))
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one()
    session.refresh(head)
    at = utcnow().isoformat(timespec="microseconds")
    detail_json = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str)
    h = entry_hash(head.hash, at, actor, action, obj, outcome, detail_json)
    entry = AuditEntry(seq=head.seq + 1, at=at, actor=actor, action=action, object=obj, outcome=outcome,
                       detail=detail_json, prev_hash=head.hash, hash=h)
    session.add(entry)
    head.seq, head.hash = entry.seq, h
    session.flush()
    return entry


@dataclass
class Verification:
    ok: bool
    entries: int
    head: str
    first_bad: int | None = None
    problem: str | None = None


def verify(session: Session) -> Verification:
    """Recompute the chain. The first bad entry is named: edited, forged, reordered, missing or appended.

    A break between entries n−1 and n is blamed on n when n chains onto another entry (reordered) or is
    itself inconsistent, and on n−1 when n is intact and chains onto a hash no entry has any more (n−1 was
    rewritten with a recomputed hash: a forgery). The head row catches a rewritten, removed or
    appended tail, which no later entry could reveal."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    for e in session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars():
        count += 1
        if e.seq != expected_seq:
            return Verification(False, count, prev, expected_seq, f"entry {expected_seq} is missing (next is {e.seq})")
        if e.prev_hash != prev:
            elsewhere = session.execute(select(AuditEntry.seq).where(AuditEntry.hash == e.prev_hash)).scalar()
            if elsewhere is not None:
                return Verification(False, count, prev, e.seq, f"entry {e.seq} is out of order "
                                                               f"(it chains onto entry {elsewhere}, not {e.seq - 1})")
            if expected_seq > 1 and entry_hash(e.prev_hash, e.at, e.actor, e.action, e.object, e.outcome, e.detail) == e.hash:
                head_row = session.get(AuditHead, 1)
                rows = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
                if head_row is not None and head_row.seq > rows:  # fewer rows than appended: removed, then renumbered
                    return Verification(False, count, prev, e.seq, f"entries before entry {e.seq} were removed "
                                                                   f"(the rest renumbered; the head records {head_row.seq})")
                return Verification(False, count, prev, e.seq - 1,
                                    f"entry {e.seq - 1} was rewritten (entry {e.seq} chained onto a different hash)")
            return Verification(False, count, prev, e.seq, f"entry {e.seq} does not chain onto entry {e.seq - 1}")
        if entry_hash(prev, e.at, e.actor, e.action, e.object, e.outcome, e.detail) != e.hash:
            return Verification(False, count, prev, e.seq, f"entry {e.seq} was altered (its content no longer matches its hash)")
        prev = e.hash
        expected_seq += 1
    last = expected_seq - 1
    head_row = session.get(AuditHead, 1)
    if head_row is not None:
        if head_row.seq > last:
            return Verification(False, count, prev, last + 1, f"entries after {last} were removed "
                                                              f"(the head records {head_row.seq})")
        if head_row.seq < last:
            return Verification(False, count, prev, head_row.seq + 1, f"entry {head_row.seq + 1} was appended "
                                                                      f"behind the head's back (the head records {head_row.seq})")
        if head_row.hash != prev:
            return Verification(False, count, prev, last, f"entry {last} was rewritten (it does not match the head)")
    return Verification(True, count, prev)


def head(session: Session) -> dict[str, Any]:
    row = session.get(AuditHead, 1)
    return {"seq": row.seq if row else 0, "hash": row.hash if row else GENESIS}
