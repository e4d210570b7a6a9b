"""``Idempotency-Key``: a retry gets the first answer, and a crash never strands the key.

A request claims its key first (a row unique on user, key and endpoint, committed at once) naming itself
as holder with a lease. Its work then runs in one transaction that also stores the answer on that row,
only while the row is still its own — so the effect and the stored answer commit together or not at all.
A twin waits for the answer. If the holder died (a SIGKILL, a power cut), its transaction rolled back and
the row stays unanswered; once the lease has run out a retry takes the key over: it first looks for the
operation's effect in the database (a row claimed by an older version could have committed its effect
without an answer) and rebuilds the answer from it, and otherwise runs the operation itself. Taking over
and answering are both conditional on the holder token, so of two contenders exactly one commits.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import time
from typing import Any, Callable

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from huiqi.storage.db import Database
from huiqi.storage.models import Application, AuditEntry, IdempotencyKey, User, utcnow

Work = Callable[[Session], tuple[int, Any]]
WAIT_SECONDS = 10  # how long a twin waits for a live holder before answering 409 in_progress


def lease_seconds() -> float:
    """How long a claim holds a key (``HUIQI_IDEMPOTENCY_LEASE_SECONDS``, default 30)."""
    try:
        return max(0.1, float(os.environ.get("HUIQI_IDEMPOTENCY_LEASE_SECONDS", "30")))
    except ValueError:
        return 30.0


class LeaseLost(Exception):
    """Our lease ran out and another request took the key over: our work must not commit."""


class InProgress(Exception):
    """A live holder is still running the request after :data:`WAIT_SECONDS`."""


def run(db: Database, user: User, key: str, endpoint: str, work: Work,
        transact: Callable[[Callable[[Session], Any]], Any],
        rebuild: Callable[[Session, int], tuple[int, Any]] | None = None) -> tuple[int, Any]:
    """The answer for (user, key, endpoint): stored, rebuilt from the effect, or computed now by ``work``.

    ``transact(fn)`` runs ``fn`` in one transaction mapping refusals to HTTP errors; ``rebuild(s, app_id)``
    answers from an application whose effect is visible."""
    from huiqi.rules.loader import dumps

    key = key[:100]
    where = (IdempotencyKey.user_id == user.id, IdempotencyKey.key == key, IdempotencyKey.endpoint == endpoint)
    token = secrets.token_hex(16)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        got = _claim(db, user, key, endpoint, token, where, rebuild)
        if got is not None:
            if got[0] == "answer":
                return got[1]
            break  # the key is ours: run it
        if time.monotonic() > deadline:
            raise InProgress()
        time.sleep(0.05)

    def work_and_answer(s: Session):
        status, body = work(s)
        done = s.execute(update(IdempotencyKey).where(*where, IdempotencyKey.holder == token,
                                                      IdempotencyKey.status_code == 0)
                         .values(status_code=status, response_json=dumps(body, pretty=False), lease_until=None))
        if done.rowcount != 1:
            raise LeaseLost()  # rolls the effect back: the new holder's run is the one that counts
        return status, body

    try:
        return transact(work_and_answer)
    except LeaseLost:
        return run(db, user, key, endpoint, work, transact, rebuild)  # wait for (or take over from) the new holder
    except Exception:
        with db.transaction() as s:  # a refusal or failure releases the key: a retry runs afresh
            s.execute(delete(IdempotencyKey).where(*where, IdempotencyKey.holder == token))
        raise


def _claim(db, user, key, endpoint, token, where, rebuild):
    """("answer", (status, body)) when an answer exists or was rebuilt; ("mine", None) when we hold the key;
    None when a live holder has it."""
    now = utcnow()
    lease = dt.timedelta(seconds=lease_seconds())
    try:
        with db.transaction() as s:
            s.add(IdempotencyKey(user_id=user.id, key=key, endpoint=endpoint, status_code=0, response_json="null",
                                 holder=token, lease_until=now + lease, at=now))
        return ("mine", None)
    except IntegrityError:
        pass
    with db.transaction() as s:
        row = s.execute(select(IdempotencyKey).where(*where)).scalar_one_or_none()
        if row is None:
            return _claim(db, user, key, endpoint, token, where, rebuild)  # the holder failed and let go
        if row.status_code:
            return ("answer", (row.status_code, json.loads(row.response_json)))
        if row.lease_until is not None and row.lease_until > now:
            return None  # a live holder: wait
        took = s.execute(update(IdempotencyKey).where(
            IdempotencyKey.id == row.id, IdempotencyKey.status_code == 0,
            IdempotencyKey.holder.is_(None) if row.holder is None else IdempotencyKey.holder == row.holder)
            .values(holder=token, lease_until=now + lease))
        if took.rowcount != 1:
            return None  # someone else took it over first
        found = _effect(s, user, endpoint, row.at, lease) if rebuild else None
        if found is not None:
            from huiqi.rules.loader import dumps

            status, body = rebuild(s, found)
            row = s.get(IdempotencyKey, row.id)
            row.status_code, row.response_json, row.lease_until = status, dumps(body, pretty=False), None
            return ("answer", (status, body))
    return ("mine", None)


_ENDPOINT_ACTIONS = {"create": "application.create", "submit": "application.submit",
                     "approve": "application.approve", "disburse": "application.disburse"}


def _effect(s: Session, user: User, endpoint: str, claimed_at: dt.datetime, lease: dt.timedelta) -> int | None:
    """The application the stranded request acted on, if its effect is in the database: the audit entry its
    transaction wrote (same actor, same action, on that application) between the claim and the lease's end."""
    name, _, app_id = endpoint.partition("/")
    action = _ENDPOINT_ACTIONS.get(name)
    if action is None:
        return None
    since = claimed_at.isoformat(timespec="microseconds")
    until = (claimed_at + max(lease, dt.timedelta(seconds=30))).isoformat(timespec="microseconds")
    q = (select(AuditEntry.object).where(AuditEntry.actor == user.username, AuditEntry.action == action,
                                        AuditEntry.at >= since, AuditEntry.at <= until)
         .order_by(AuditEntry.seq).limit(1))
    if app_id:
        q = q.where(AuditEntry.object == f"application/{app_id}")
    obj = s.execute(q).scalar()
    if obj is None:
        return None
    found = int(obj.split("/", 1)[1])
    return found if s.get(Application, found) is not None else None
