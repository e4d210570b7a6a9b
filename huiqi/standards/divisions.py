"""Kunming's administrative divisions and development zones, as explicit sets (``data/kunming_divisions.yaml``).

Why explicit sets and not a ``"5301"`` prefix test: 磨憨 (532823105, 勐腊县, 西双版纳州) has been under
Kunming's full trusteeship since 2022-04-28 yet has no 5301xx code; the development zones have only
NBS township-level (9-digit) statistical codes; and credit codes issued before a reorganisation carry
retired county codes (530122 晋宁县, 530121 呈贡县), kept here as *historical* aliases.

Accepted codes: the 6-digit city and county codes (GB/T 2260), the historical aliases, and the 9-digit
zone codes.  主城四区 = 五华, 盘龙, 官渡, 西山; a zone is main-urban if its parent district is.

>>> validate_district("530102").name_zh
'五华区'
>>> is_main_urban("530102401")
True
>>> current_district("530122").name_zh
'晋宁区'
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from huiqi.standards._data import StandardsDataError, load_yaml

Level = Literal["prefecture", "county", "township"]
_CODE_RE = re.compile(r"^(?:\d{6}|\d{9})$")
CITY_CODE = "530100"


class UnknownDistrictCode(ValueError):
    """A code is not one of the Kunming division or zone codes we know; the message names the code."""

    def __init__(self, message: str, *, code: object) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class District:
    """A Kunming division (city, county-level unit, historical alias) or a township-level zone."""

    code: str
    name_zh: str
    kind: str
    level: Level
    parent: str | None = None
    main_urban: bool = False
    #: A retired code; ``successor`` is the current code it became.
    historical: bool = False
    successor: str | None = None
    short_zh: str | None = None
    #: For a zone whose parent is outside Kunming (磨憨): the parent's name.
    parent_name_zh: str | None = None
    trusteeship_from: dt.date | None = None
    note_zh: str | None = None
    #: The romanised name English pages show (the data has no other English).
    name_en: str | None = None

    def words(self, lang: str = "zh") -> str:
        """The name a person reads in ``lang`` (Chinese when no English is recorded)."""
        return (self.name_en or self.name_zh) if lang == "en" else self.name_zh


@dataclass(frozen=True)
class SpecialZone:
    """A zone without a code of its own (滇中新区, 自贸试验区昆明片区), modelled as a set of county codes.

    ``partial`` means the zone covers only *parts* of the listed counties, so membership of a county is
    "may lie in the zone", not "lies in it".
    """

    key: str
    name_zh: str
    counties: tuple[str, ...]
    partial: bool
    area_km2: float | None
    basis: str | None
    note_zh: str | None


@dataclass(frozen=True)
class _Data:
    districts: dict[str, District]
    special_zones: dict[str, SpecialZone]


def _str_code(value: object, where: str) -> str:
    if not isinstance(value, str) or not _CODE_RE.match(value):
        raise StandardsDataError(
            f"kunming_divisions.yaml: {where}: "
            f"code {value!r} must be a quoted 6- or 9-digit string"
        )
    return value


@cache
def _data() -> _Data:
    raw = load_yaml("kunming_divisions.yaml")
    out: dict[str, District] = {}

    def add(d: District, where: str) -> None:
        if d.code in out:
            raise StandardsDataError(f"kunming_divisions.yaml: {where}: duplicate code {d.code}")
        out[d.code] = d

    for i, e in enumerate(raw["divisions"]):
        where = f"divisions[{i}]"
        code = _str_code(e["code"], where)
        add(
            District(
                code=code,
                name_zh=e["name_zh"],
                kind=e["kind"],
                level=e["level"],
                parent=e.get("parent"),
                main_urban=bool(e.get("main_urban", False)),
                note_zh=e.get("note_zh"),
                name_en=e.get("name_en"),
            ),
            where,
        )
    for i, e in enumerate(raw["historical"]):
        where = f"historical[{i}]"
        add(
            District(
                code=_str_code(e["code"], where),
                name_zh=e["name_zh"],
                kind=e["kind"],
                level="county",
                parent=CITY_CODE,
                historical=True,
                successor=_str_code(e["successor"], where),
                note_zh=e.get("note_zh"),
                name_en=e.get("name_en"),
            ),
            where,
        )
    for i, e in enumerate(raw["zones"]):
        where = f"zones[{i}]"
        code = _str_code(e["code"], where)
        parent = _str_code(e["parent"], where)
        if not code.startswith(parent):
            raise StandardsDataError(f"kunming_divisions.yaml: {where}: zone {code} is not under its parent {parent}")
        add(
            District(
                code=code,
                name_zh=e["name_zh"],
                kind="乡级统计区",
                level="township",
                parent=parent,
                short_zh=e.get("short_zh"),
                parent_name_zh=e.get("parent_name_zh"),
                trusteeship_from=e.get("trusteeship_from"),
                note_zh=e.get("note_zh"),
                name_en=e.get("name_en"),
            ),
            where,
        )
    # Cross-checks: parents and successors exist (or, for a zone outside Kunming, are named).
    for d in out.values():
        if d.successor is not None and (d.successor not in out or out[d.successor].historical):
            raise StandardsDataError(
                f"kunming_divisions.yaml: successor {d.successor} of {d.code} "
                f"is not a current code"
            )
        if d.parent is not None and d.parent not in out and d.parent_name_zh is None:
            raise StandardsDataError(f"kunming_divisions.yaml: parent {d.parent} of {d.code} is unknown and unnamed")
    zones: dict[str, SpecialZone] = {}
    for i, e in enumerate(raw["special_zones"]):
        counties = tuple(_str_code(c, f"special_zones[{i}]") for c in e.get("counties", []))
        for c in counties:
            if c not in out or out[c].level != "county" or out[c].historical:
                raise StandardsDataError(
                    f"kunming_divisions.yaml: special_zones[{i}]: "
                    f"{c} is not a current county code"
                )
        zones[e["key"]] = SpecialZone(
            key=e["key"],
            name_zh=e["name_zh"],
            counties=counties,
            partial=bool(e.get("partial", False)),
            area_km2=e.get("area_km2"),
            basis=e.get("basis"),
            note_zh=e.get("note_zh"),
        )
    return _Data(districts=out, special_zones=zones)


def lookup_district(code: str) -> District | None:
    """The :class:`District` for a code (6-digit or 9-digit, surrounding spaces ignored), or ``None``."""
    if not isinstance(code, str):
        return None
    return _data().districts.get(code.strip())


def validate_district(code: str) -> District:
    """Like :func:`lookup_district` but raise :class:`UnknownDistrictCode` naming the code.

    Historical codes (530122, 530121) are accepted and returned flagged ``historical`` — use
    :func:`current_district` to follow them to today's district.
    """
    if not isinstance(code, str) or not _CODE_RE.match(code.strip()):
        raise UnknownDistrictCode(
            f"行政区划代码格式不正确：{code!r}（应为6位县级代码或9位乡级统计代码）/ "
            f"malformed division code {code!r} (expected a 6-digit county code or a 9-digit zone code)",
            code=code,
        )
    d = _data().districts.get(code.strip())
    if d is None:
        raise UnknownDistrictCode(
            f"不是已收录的昆明市行政区划或园区代码：{code.strip()!r} / "
            f"not a known Kunming division or zone code: {code.strip()!r}",
            code=code,
        )
    return d


def current_district(code: str) -> District:
    """Validate ``code`` and follow a historical alias to the district that replaced it."""
    d = validate_district(code)
    return _data().districts[d.successor] if d.successor else d


def county_of(code: str) -> District | None:
    """The current county-level district a code lies in (itself for a county; ``None`` for the city, or for
    a zone whose county is outside Kunming, e.g. 磨憨 in 勐腊县)."""
    d = current_district(code)
    if d.level == "county":
        return d
    if d.level == "township":
        parent = _data().districts.get(d.parent or "")
        return parent if parent is not None and parent.level == "county" else None
    return None


def is_main_urban(code: str) -> bool:
    """主城四区 (五华 530102, 盘龙 530103, 官渡 530111, 西山 530112), or a zone inside one of them.

    The city code 530100 as a whole is not; 呈贡 is a 五城区 district but not one of the four.
    """
    county = county_of(code)
    return county is not None and county.main_urban


def in_kunming_jurisdiction(code: str) -> bool:
    """True for every code in the data (city, counties, historical aliases, zones including trusteed 磨憨)."""
    return lookup_district(code) is not None


def districts(*, include_historical: bool = False, include_zones: bool = False) -> tuple[District, ...]:
    """The known districts: by default the city and the 14 current county-level codes."""
    return tuple(
        d
        for d in _data().districts.values()
        if (include_historical or not d.historical) and (include_zones or d.level != "township")
    )


def special_zone(key: str) -> SpecialZone:
    """A code-less zone by key (``"dianzhong"``, ``"ftz_kunming"``); ``KeyError`` names unknown keys."""
    try:
        return _data().special_zones[key]
    except KeyError:
        raise KeyError(f"没有特殊区域 {key!r} / no special zone {key!r}; known: {sorted(_data().special_zones)}") from None


def special_zones_for(code: str) -> tuple[SpecialZone, ...]:
    """The code-less zones that a code's county (possibly, if the zone is ``partial``) lies in."""
    county = county_of(code)
    if county is None:
        return ()
    return tuple(z for z in _data().special_zones.values() if county.code in z.counties)
