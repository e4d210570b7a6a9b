"""核对信息: the calculator's answers in words a person reads, each with the step that asked it.

Built from the same questions the wizard asked (:func:`huiqi.profile.questions.asked_for`), so every answer
that reaches the engine is shown once: money as ¥ with two decimals, 是/否/不清楚, districts and industries
by name, dates in the page's language, coded choices by their words — never a field name or a code alone.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Callable

from huiqi.money import format_yuan
from huiqi.profile.questions import SIZE_FIGURES, Asked, Q
from huiqi.web import i18n

Link = Callable[[int, str], str]  # (step, field name) → the address of that question


def day_text(day: dt.date, lang: str) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if lang == "zh" else day.isoformat()


def answer_text(q: Q, value: Any, lang: str) -> str:
    """One answer in words: the question's kind says how."""
    if value is None or value == "":
        return i18n.translate("calc.unknown" if q.kind == "optbool" else "calc.not_given", lang)
    if q.kind in ("bool", "optbool"):
        return i18n.translate("calc.yes" if value else "calc.no", lang)
    if q.kind == "money":
        return format_yuan(Decimal(value))
    if q.kind == "ratio":
        return f"{(Decimal(value) * 100).normalize():f}%"
    if q.kind == "date":
        return day_text(value, lang)
    if q.kind == "select":
        words = {v: (zh, en) for v, zh, en in q.choices}.get(value)
        return (words[0] if lang == "zh" else words[1]) if words else str(value)
    return str(value)


def _basics(profile, a: Asked | None, lang: str) -> list[tuple[str, str, str]]:
    """(field, label, value) of the first step's basic questions."""
    from huiqi.web.pages_calculator import BASIC_LABELS, _district_name, _industry_name

    t = lambda key, **kw: i18n.translate(key, lang, **kw)  # noqa: E731
    names = a.basics if a is not None else ("kind", "name", "credit_code", "district", "industry", "size_class")
    shown = {
        "kind": t(f"calc.kind.{profile.kind.value}"),
        "name": profile.name,
        "credit_code": profile.credit_code or t("calc.not_given"),
        "district": _district_name(profile.district, lang) or t("calc.not_given"),
        "industry": _industry_name(profile.industry) or t("calc.not_given"),
        "size_class": t(f"calc.size.{profile.size_class.value}") if profile.size_class else t("calc.size_auto"),
    }
    return [(n, t(BASIC_LABELS[n]), shown[n]) for n in names]


def summary(profile, a: Asked | None, as_of: dt.date, lang: str, link: Link) -> list[dict]:
    """The sections of the check page: who the applicant is, then each chosen kind of event, row by row."""
    from huiqi.web.pages_calculator import _date_label

    t = lambda key, **kw: i18n.translate(key, lang, **kw)  # noqa: E731
    pick = (lambda zh, en: zh) if lang == "zh" else (lambda zh, en: en)  # noqa: E731

    def row(step: int, name: str, label: str, value: str) -> dict:
        return {"label": label, "value": value, "href": link(step, name), "field": name}

    who = [row(1, n, label, value) for n, label, value in _basics(profile, a, lang)]
    size_given = profile.size_class is not None  # then the figures the standard would size it by are not needed
    who += [row(1, q.name, pick(q.zh, q.en), answer_text(q, getattr(profile, q.name), lang))
            for q in (a.standing if a else ())
            if not (size_given and q.name in SIZE_FIGURES and getattr(profile, q.name) is None)]
    sections = [{"title": t("calc.check_who"), "rows": who, "id": "who"}]
    events = []
    for f in (a.families if a else ()):
        items = getattr(profile, f.name, None) or []
        if not items:
            continue
        entity = [row(2, q.name, pick(q.zh, q.en), answer_text(q, getattr(profile, q.name), lang)) for q in f.entity]
        date_label = _date_label(f, lang)
        for i, ev in enumerate(items):
            pre = f"{f.name}-{i}-"
            rows = [row(2, pre + "date", date_label, day_text(ev.date, lang))]
            rows += [row(2, pre + q.name, pick(q.zh, q.en), answer_text(q, getattr(ev, q.name), lang)) for q in f.questions]
            rows.append(row(2, pre + "id", t("calc.event_id"), ev.id or t("calc.not_given")))
            title = pick(f.zh, f.en) + (" · " + t("calc.row", n=i + 1) if len(items) > 1 else "")
            events.append({"title": title, "rows": (entity if i == 0 else []) + rows, "id": f"{f.name}-{i}"})
    if not events:
        sections.append({"title": t("calc.check_events"), "rows": [], "id": "events", "empty": t("calc.check_none"),
                         "href": link(2, "families")})
    sections.extend(events)
    sections.append({"title": t("calc.as_of"), "id": "as-of",
                     "rows": [row(2, "as_of", t("calc.as_of"), day_text(as_of, lang))]})
    return sections
