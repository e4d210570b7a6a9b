"""Today's date, in Beijing time, for everything the policy's dates are compared with.

Government business days and the policy's windows are Chinese dates: a server clock in UTC would
still be on yesterday from midnight to 08:00 in Kunming. ``HUIQI_TODAY`` (YYYY-MM-DD) fixes the date
for a demonstration or a test — replaying a policy year that has passed; a running server says so
in its log, and it is never set in production.
"""

from __future__ import annotations

import datetime as dt
import os
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")  # China keeps no daylight saving


# The moment a replay of a policy year has reached (huiqi.workflow.replay): set only by that replay and by tests,
# through :func:`replaying`; every stored time and every business date then follows it.
_replay_at: ContextVar[dt.datetime | None] = ContextVar("huiqi_replay_at", default=None)


@contextmanager
def replaying(at: dt.datetime) -> Iterator[None]:
    """Run the block as if it were ``at`` (a Beijing wall time, naive, or any aware time): the services stamp
    their rows and audit entries with it and take it as today. Only the demo's replay and tests use this."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=BEIJING)
    token = _replay_at.set(at)
    try:
        yield
    finally:
        _replay_at.reset(token)


def now_utc() -> dt.datetime:
    """Now as the database keeps it (naive UTC): the replay's moment while one runs, else the real time."""
    at = _replay_at.get()
    return (at or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).replace(tzinfo=None)


def fixed() -> dt.date | None:
    """The date set by HUIQI_TODAY, or None when the clock is real."""
    raw = os.environ.get("HUIQI_TODAY", "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise SystemExit(f"HUIQI_TODAY：“{raw}”不是有效日期（YYYY-MM-DD）/ HUIQI_TODAY: '{raw}' is not a date") from None


def today() -> dt.date:
    """Today in Beijing: the replay's day while one runs, else the date HUIQI_TODAY fixes, else the real one."""
    at = _replay_at.get()
    if at is not None:
        return at.astimezone(BEIJING).date()
    return fixed() or dt.datetime.now(BEIJING).date()


def beijing(at: dt.datetime) -> dt.datetime:
    """A stored time (naive UTC, as the database keeps it) in Beijing time, naive, for showing."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.timezone.utc)
    return at.astimezone(BEIJING).replace(tzinfo=None)


def beijing_text(at: dt.datetime | None) -> str:
    """「2025-10-08 09:30」 in Beijing time ('' for none): every time a person reads is Beijing time, labelled so."""
    return "" if at is None else beijing(at).strftime("%Y-%m-%d %H:%M")
