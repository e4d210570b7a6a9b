"""Cell values as officials write them, normalised the same way for every import (registry, projects, lists,
progress). Each function takes what a cell holds (text, a number, a date) and answers the exact value or raises
:class:`CellError` with Chinese and English words — never another exception.

- dates: 2025-05-01, 2025-5-1, 2025/5/1, 2025.05.01, 2025年5月1日, 20250501, full-width digits, Excel's own
  date cells and Excel serial numbers (45778 is 2025-05-01);
- money: the strict core (:mod:`huiqi.parse.money`) after a unit — 元, 万元/万, 亿元/亿 — and ¥ are taken off;
  a column whose header says 「（万元）」 scales its bare numbers the same way;
- yes/no: 是/否, √/×, ✓/✗, Y/N, yes/no, true/false, 1/0, 有/无;
- codes: full-width digits and letters made half-width, spaces removed;
- choices: a value, its Chinese word or a synonym (「外省」 for 省外) → the code, else the Chinese choices named.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from typing import Any, Mapping

from huiqi.parse.money import FULL_WIDTH, MAX_YUAN, MoneyError, decimal_text, yuan_to_fen


class CellError(ValueError):
    """A cell that cannot be read as its column's kind: ``zh`` and ``en`` say why (without the column)."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{en} / {zh}")
        self.zh, self.en = zh, en


def half_width(text: str) -> str:
    """Full-width letters, digits and punctuation as their ASCII forms (NFKC), spaces trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def code(value: Any) -> str | None:
    """A code (county, credit code, project number): half-width, no spaces inside; None when empty."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = re.sub(r"\s+", "", half_width(str(value)))
    return text or None


# -- dates ------------------------------------------------------------------------------------------

_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE = re.compile(r"(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{2})(\d{2}))")


def date_value(value: Any) -> dt.date | None:
    """A date as written in a cell; None when empty."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise _bad_date(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _serial(value)
    text = half_width(str(value)).translate(FULL_WIDTH)
    if not text:
        return None
    if re.fullmatch(r"\d{5}(\.0+)?", text):  # an Excel serial kept as text
        return _serial(float(text))
    text = re.sub(r"[T\s]+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "", text)  # a midnight time after the date
    m = _DATE.fullmatch(text)
    if not m:
        raise _bad_date(value)
    y, mo, d = (m.group(1), m.group(2), m.group(3)) if m.group(2) else (m.group(1), m.group(4), m.group(5))
    try:
        return dt.date(int(y), int(mo), int(d))
    except ValueError:
        raise _bad_date(value) from None


def _serial(number: float) -> dt.date:
    if number != number or not 1 <= number <= 2958465 or number != int(number):  # 9999-12-31
        raise _bad_date(number)
    return _EXCEL_EPOCH + dt.timedelta(days=int(number))


def _bad_date(value: Any) -> CellError:
    shown = str(value)[:30]
    return CellError(f"「{shown}」不是有效日期（如 2025-05-01、2025/5/1、2025年5月1日）",
                     f"'{shown}' is not a real date (like 2025-05-01, 2025/5/1 or 2025年5月1日)")


# -- money ------------------------------------------------------------------------------------------

UNITS: dict[str, int] = {"元": 1, "万元": 10_000, "万": 10_000, "亿元": 100_000_000, "亿": 100_000_000}
_UNIT = re.compile(r"^(.*?)\s*(亿元|万元|元|亿|万)$")


def header_unit(header: str) -> int:
    """The unit a header names: 「总投资（万元）」 → 10000; none named → 1 (yuan)."""
    m = re.search(r"[(（]\s*(亿元|万元|元|亿|万)\s*[)）]", header)
    return UNITS[m.group(1)] if m else 1


def money_fen(value: Any, field: str = "amount", unit: int = 1, maximum: Decimal = MAX_YUAN) -> int | None:
    """Yuan in a cell → fen; ``unit`` the column's (from its header). A unit written in the cell wins. None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, str):
            text = value.translate(FULL_WIDTH).strip()
            m = _UNIT.match(text)
            if m:
                text, unit = m.group(1), UNITS[m.group(2)]
            if unit == 1:
                return yuan_to_fen(text, field, maximum=maximum)
            number = decimal_text(text, field)
            if abs(number) > maximum:  # before scaling: a huge figure never reaches multiplication
                raise MoneyError("money.too_large", field, limit=f"¥{maximum:,}")
            return yuan_to_fen(number * unit, field, maximum=maximum)
        if unit != 1 and isinstance(value, (int, float)) and not isinstance(value, bool):
            if isinstance(value, float):
                if value != value or abs(value) > float(maximum):
                    raise MoneyError("money.too_large", field, limit=f"¥{maximum:,}")
                value = Decimal(repr(value))
            return yuan_to_fen(Decimal(value) * unit, field, maximum=maximum)
        return yuan_to_fen(value, field, maximum=maximum, cell=True)
    except MoneyError as e:
        raise CellError(e.message("zh"), e.message("en")) from None


# -- yes / no ----------------------------------------------------------------------------------------

YES = frozenset({"是", "√", "✓", "✔", "y", "yes", "true", "1", "有", "对", "t"})
NO = frozenset({"否", "×", "✗", "✘", "x", "n", "no", "false", "0", "无", "不是", "f"})


def yes_no(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = half_width(str(value)).lower()
    if not text:
        return None
    if text in YES:
        return True
    if text in NO:
        return False
    shown = str(value)[:30]
    raise CellError(f"「{shown}」不是“是”或“否”（可填 是/否、√/×、Y/N）",
                    f"'{shown}' is not yes or no (是/否, √/×, Y/N)")


# -- choices -----------------------------------------------------------------------------------------


def choice(value: Any, choices: Mapping[str, str], synonyms: Mapping[str, str] | None = None,
           lookup: Mapping[str, str] | None = None) -> str | None:
    """The code for ``value``: ``choices`` maps code → Chinese word, ``synonyms`` other words → code. None when empty.
    ``lookup``: :func:`choice_lookup` of the same, built once for a whole column."""
    if value is None:
        return None
    text = half_width(str(value))
    if not text:
        return None
    found = (lookup if lookup is not None else choice_lookup(choices, synonyms)).get(_key(text))
    if found is None:
        shown = str(value)[:30]
        words = "、".join(choices.values())
        raise CellError(f"「{shown}」不是可选值，请从以下选择：{words}", f"'{shown}' is not one of: {words}")
    return found


def choice_lookup(choices: Mapping[str, str], synonyms: Mapping[str, str] | None = None) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for word, c in (synonyms or {}).items():
        if c in choices:
            lookup[_key(word)] = c
    for c, zh in choices.items():  # a code's own words win over a synonym
        lookup[_key(zh)] = c
        lookup[_key(c)] = c
    return lookup


def _key(text: str) -> str:
    return re.sub(r"\s+", "", half_width(text)).lower()
