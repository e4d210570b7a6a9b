"""Normalise a profile into the flat facts the rule expressions read.

``entity`` is one row of standing facts (with derived ones: industry section,
size class by the SME standard, 主城四区 …); ``events`` holds one row per dated
event, keyed by list name. The batch screener builds the same columns from a
registry with the same functions (:func:`industry_facts`, :func:`district_facts`,
:func:`size_facts`), applied once per distinct code instead of once per row.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from huiqi.profile.model import ProfileBase as Profile, SizeClass, event_model_of, kinds_of, profile_model

Row = dict[str, Any]
INDUSTRY_FACTS = ("industry_section", "industry_division", "is_industrial", "is_internet_software", "is_commerce")


@lru_cache(maxsize=4096)
def industry_facts(code: str | None) -> tuple[tuple[str, Any], ...]:
    """Facts that follow from a GB/T 4754 code (all None when the code is unknown)."""
    if not code:
        return tuple((k, None) for k in INDUSTRY_FACTS)
    from huiqi.standards import industries

    return (
        ("industry_section", industries.section_of(code)),
        ("industry_division", code[:2] if code[:2].isdigit() else None),
        ("is_industrial", industries.is_industrial(code)),
        ("is_internet_software", industries.is_internet_or_software(code)),
        ("is_commerce", industries.is_commerce(code)),
    )


@lru_cache(maxsize=1024)
def district_facts(code: str | None) -> tuple[tuple[str, Any], ...]:
    if not code:
        return (("is_main_urban", None),)
    from huiqi.standards.divisions import is_main_urban

    return (("is_main_urban", is_main_urban(code)),)


def size_class_of(industry: str | None, employees: int | None, revenue: Decimal | None, assets: Decimal | None,
                  stated: str | None) -> str | None:
    """The stated size class, else the one the SME standard gives from the figures (None if it cannot)."""
    if stated is not None:
        return stated
    if industry is None:
        return None
    return _classified(industry, employees, revenue, assets)


@lru_cache(maxsize=8192)
def _classified(industry: str, employees: int | None, revenue: Decimal | None, assets: Decimal | None) -> str | None:
    """The SME standard's class for these figures, kept: the calculator asks it for every applicant, often with
    the same figures (about a tenth of an evaluation before)."""
    from huiqi.standards.sme_size import classify

    try:
        return classify(industry, employees, revenue, assets).value
    except ValueError:
        return None  # a figure the standard needs is missing: size stays unknown


def size_facts(size: str | None) -> tuple[tuple[str, Any], ...]:
    return (
        ("size_class", size),
        ("is_sme", None if size is None else size != SizeClass.large.value),
        ("is_small_micro", None if size is None else size in (SizeClass.small.value, SizeClass.micro.value)),
    )


def derived_size_class(profile: Profile) -> SizeClass | None:
    size = size_class_of(profile.industry, profile.employees, profile.revenue, profile.assets,
                         profile.size_class.value if profile.size_class else None)
    return SizeClass(size) if size else None


def entity_facts(profile: Profile) -> Row:
    row: Row = profile.model_dump(exclude=set(profile.event_list_names) | {"other_support"})
    row["kind"] = profile.kind.value
    size = derived_size_class(profile)
    row.update(size_facts(size.value if size else None))
    row.update(industry_facts(profile.industry))
    row.update(district_facts(profile.district))
    return row


def event_facts(profile: Profile) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {}
    for name in profile.event_list_names:
        rows = []
        for i, ev in enumerate(getattr(profile, name)):
            row = ev.model_dump()
            row["id"] = ev.id or f"{name}[{i}]"
            rows.append(row)
        out[name] = rows
    if "guarantees" in out:  # the derived fact its kind declares (events.yaml: derived)
        _client_year_totals(out["guarantees"])
    return out


def _client_year_totals(rows: list[Row]) -> None:
    """单户担保金额: a client's guarantees in one year, added up (a guarantee without a client code stands alone).

    The batch screener computes the same with a window sum over (entity, client or row id, year).
    """
    totals: dict[tuple, Any] = {}
    for r in rows:
        key = (r["client_credit_code"] or "#" + r["id"], r["date"].year)
        totals[key] = totals.get(key, 0) + r["amount"]
    for r in rows:
        r["client_year_total"] = totals[(r["client_credit_code"] or "#" + r["id"], r["date"].year)]


def fact_names(subject: str, kinds=None) -> tuple[frozenset[str], frozenset[str]]:
    """The entity facts, and the facts of one event of ``subject``, that a rule expression may read — derived
    from the profile model of ``kinds`` (a policy's kind set; None: the core kinds) and the derived facts
    above, so a policy file naming a fact that does not exist (``entity.is_small_or_micro``) is refused when
    it is loaded instead of reading as unknown."""
    kinds = kinds_of(kinds)
    model = profile_model(kinds)
    entity = (set(model.model_fields) - set(model.event_list_names) - {"other_support"}) | {"kind"}
    entity |= {k for k, _ in size_facts(None)} | set(INDUSTRY_FACTS) | {k for k, _ in district_facts(None)}
    event: set[str] = set()
    if subject in model.event_list_names:
        event = set(event_model_of(model, subject).model_fields) | {"id"} | set(kinds[subject].spec.derived)
    return frozenset(entity), frozenset(event)
