"""Normalise a profile into the flat facts the rule expressions read.

``entity`` is one row of standing facts (with derived ones: industry section,
size class by the SME standard, 主城四区 …); ``events`` holds one row per dated
event, keyed by list name. The batch screener builds the same columns from a
registry, so both paths feed the same rule definitions.
"""

from __future__ import annotations

from typing import Any

from huiqi.profile.model import EVENT_LISTS, Profile, SizeClass

Row = dict[str, Any]


def derived_size_class(profile: Profile) -> SizeClass | None:
    """The stated size class, else the one the SME standard gives from the figures."""
    if profile.size_class is not None:
        return profile.size_class
    if profile.industry is None:
        return None
    from huiqi.standards.sme_size import classify

    try:
        return SizeClass(classify(profile.industry, profile.employees, profile.revenue, profile.assets).value)
    except ValueError:
        return None  # a figure the standard needs is missing: size stays unknown


def entity_facts(profile: Profile) -> Row:
    row: Row = profile.model_dump(exclude=set(EVENT_LISTS) | {"other_support"})
    row["kind"] = profile.kind.value
    size = derived_size_class(profile)
    row["size_class"] = size.value if size else None
    row["is_sme"] = None if size is None else size is not SizeClass.large
    row["is_small_micro"] = None if size is None else size in (SizeClass.small, SizeClass.micro)
    if profile.industry:
        from huiqi.standards import industries

        row["industry_section"] = industries.section_of(profile.industry)
        row["industry_division"] = profile.industry[:2] if profile.industry[:2].isdigit() else None
        row["is_industrial"] = industries.is_industrial(profile.industry)
        row["is_internet_software"] = industries.is_internet_or_software(profile.industry)
        row["is_commerce"] = industries.is_commerce(profile.industry)
    else:
        for k in ("industry_section", "industry_division", "is_industrial", "is_internet_software", "is_commerce"):
            row[k] = None
    if profile.district:
        from huiqi.standards.divisions import is_main_urban

        row["is_main_urban"] = is_main_urban(profile.district)
    else:
        row["is_main_urban"] = None
    return row


def event_facts(profile: Profile) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {}
    for name in EVENT_LISTS:
        rows = []
        for i, ev in enumerate(getattr(profile, name)):
            row = ev.model_dump()
            row["id"] = ev.id or f"{name}[{i}]"
            rows.append(row)
        out[name] = rows
    _client_year_totals(out["guarantees"])
    return out


def _client_year_totals(rows: list[Row]) -> None:
    """单户担保金额: a client's guarantees in one year, added up (a guarantee without a client code stands alone)."""
    totals: dict[tuple, Any] = {}
    for i, r in enumerate(rows):
        key = (r["client_credit_code"] or f"#{i}", r["date"].year)
        totals[key] = totals.get(key, 0) + r["amount"]
    for i, r in enumerate(rows):
        r["client_year_total"] = totals[(r["client_credit_code"] or f"#{i}", r["date"].year)]
