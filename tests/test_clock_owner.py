"""One owner of "today" (issue 11, part 4): every business date comes from :mod:`huiqi.clock` — Beijing's date,
or the date HUIQI_TODAY fixes — so the 申报期, deadlines, overdue warnings, published lists and figures all agree
with each other and with a test or demonstration that fixes the date. A server clock in UTC is still on yesterday
until 08:00 in Beijing, and ``date.today()`` cannot be fixed.

The check reads every module of the package (outside clock.py) and refuses ``date.today()``,
``datetime.today()``, ``datetime.utcnow()``, ``datetime.now()`` without a time zone (the server's local time) and
``datetime.now(…).date()`` (a business date taken around the clock). A moment in a named zone — a UTC timestamp
stored, a Beijing time printed on a workbook — is not a date and stays allowed."""

from __future__ import annotations

import ast
from pathlib import Path

import huiqi

PACKAGE = Path(huiqi.__file__).parent
OWNER = PACKAGE / "clock.py"


def _is_datetime_class(node: ast.AST) -> bool:
    """``datetime``, ``dt.datetime`` or ``datetime.datetime``; ``date`` likewise (the receivers of today/now)."""
    if isinstance(node, ast.Name):
        return node.id in ("date", "datetime")
    return isinstance(node, ast.Attribute) and node.attr in ("date", "datetime")


def offences(source: str) -> list[tuple[int, str]]:
    """(line, what) for each call taking today's date around :mod:`huiqi.clock`."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    out = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _is_datetime_class(node.func.value)):
            continue
        name = node.func.attr
        if name in ("today", "utcnow"):
            out.append((node.lineno, f"{name}()"))
        elif name == "now":
            if not node.args and not node.keywords:
                out.append((node.lineno, "now() without a time zone"))
                continue
            up = parents.get(node)
            if isinstance(up, ast.Attribute) and up.attr == "date":
                out.append((node.lineno, "now(…).date()"))
    return sorted(out)


def test_the_check_finds_what_it_is_meant_to_find():
    bad = ("import datetime as dt\nfrom datetime import date, datetime\n"
           "a = dt.date.today()\nb = date.today()\nc = datetime.now()\nd = dt.datetime.now(tz).date()\n"
           "e = dt.datetime.utcnow()\nf = datetime.today()\n")
    assert [line for line, _ in offences(bad)] == [3, 4, 5, 6, 7, 8]
    fine = ("import datetime as dt\nfrom huiqi import clock\n"
            "a = clock.today()\nb = dt.datetime.now(dt.timezone.utc)\nc = dt.datetime.now(clock.BEIJING).replace(tzinfo=None)\n"
            "d = dt.date(2024, 12, 31)\n")
    assert offences(fine) == []


def test_no_module_but_the_clock_takes_today_itself():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == OWNER:
            continue
        for line, what in offences(path.read_text(encoding="utf-8")):
            found.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {what}")
    assert found == [], "take today from huiqi.clock (clock.today()):\n" + "\n".join(found)


def test_the_clock_is_beijing_and_can_be_fixed(monkeypatch):
    import datetime as dt

    from huiqi import clock

    monkeypatch.setenv("HUIQI_TODAY", "2025-02-28")
    assert clock.today() == dt.date(2025, 2, 28)
    monkeypatch.delenv("HUIQI_TODAY")
    beijing = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    assert clock.today() in (beijing, dt.datetime.now(clock.BEIJING).date())  # the same day unless midnight passes
