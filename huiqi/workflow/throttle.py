"""Sign-in throttling with exponential back-off, instead of a lock-out anyone could trigger.

Failures are counted under three keys, each with its own allowance before back-off starts:

- the client (its address): 10 failures, whatever usernames it tries — password spraying and username
  probing from one place slow down;
- the account from that client: 3 failures — guessing one person's password from one place;
- the account from anywhere: 20 failures — a guess spread over many places.

Past its allowance a key waits 1 s, then 2, 4, … up to 15 minutes before the next attempt is even
checked; attempts made while waiting are refused without counting or checking the password. A success
clears the account's counts (not the client's, so a spray cannot reset itself with a known account).
An anonymous caller therefore slows down its own attempts on an account long before it can delay the
account's owner, who signs in from elsewhere. Unknown usernames are counted exactly like known ones, so
throttling says nothing about which accounts exist. A key quiet for an hour (longer than the cap, so an
attacker waiting out each back-off never gets there) counts afresh, so the occasional typos of many people
behind one address do not add up; rows are deleted a day after their last failure.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import case, delete, select, update
from sqlalchemy.orm import Session

from huiqi.storage.models import LoginThrottle

ALLOWANCE = {"c": 10, "ac": 3, "a": 20}
BASE_SECONDS = 1
CAP_SECONDS = 15 * 60
QUIET = dt.timedelta(hours=1)  # a key with no failure for this long (longer than the cap) counts afresh
FORGET_AFTER = dt.timedelta(days=1)


def keys(username: str, client: str) -> dict[str, str]:
    """kind → the row key of each count an attempt touches."""
    user, where = username[:64], (client or "unknown")[:100]
    return {"c": f"c:{where}", "ac": f"ac:{user}|{where}", "a": f"a:{user}"}


def backoff(failures: int, allowance: int) -> float:
    """Seconds to wait after ``failures`` failures: 0 within the allowance, then doubling to the cap."""
    over = failures - allowance
    return 0.0 if over <= 0 else float(min(CAP_SECONDS, BASE_SECONDS * 2 ** min(over - 1, 20)))


def wait_seconds(session: Session, username: str, client: str, now: dt.datetime) -> float:
    """How long this (username, client) must still wait before an attempt is checked (0: go ahead)."""
    rows = session.execute(select(LoginThrottle.blocked_until).where(
        LoginThrottle.key.in_(list(keys(username, client).values())))).scalars()
    return max([(b - now).total_seconds() for b in rows if b is not None and b > now], default=0.0)


def failed(session: Session, username: str, client: str, now: dt.datetime) -> None:
    """Count one failure under every key and set the back-off it earns (one atomic upsert per key)."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure < now - FORGET_AFTER))
    for kind, key in keys(username, client).items():
        failures = _increment(session, key, now)
        wait = backoff(failures, ALLOWANCE[kind])
        if wait:
            session.execute(update(LoginThrottle).where(LoginThrottle.key == key)
                            .values(blocked_until=now + dt.timedelta(seconds=wait)))


def succeeded(session: Session, username: str, client: str) -> None:
    k = keys(username, client)
    session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_([k["ac"], k["a"]])))


def clear_account(session: Session, username: str) -> None:
    """An administrator re-enables an account: its own counts go (the clients' stay)."""
    user = username[:64]
    pattern = "ac:" + user.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "|%"
    session.execute(delete(LoginThrottle).where(
        (LoginThrottle.key == f"a:{user}") | LoginThrottle.key.like(pattern, escape="\\")))


def _increment(session: Session, key: str, now: dt.datetime) -> int:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(LoginThrottle).values(key=key, failures=1, last_failure=now)
    stmt = stmt.on_conflict_do_update(index_elements=[LoginThrottle.key],
                                      set_={"failures": case((LoginThrottle.last_failure < now - QUIET, 1),
                                                             else_=LoginThrottle.failures + 1),
                                            "last_failure": now})
    return session.execute(stmt.returning(LoginThrottle.failures)).scalar_one()
