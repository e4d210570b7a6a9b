"""Field values as officials type them in forms and spreadsheets, checked; errors name the field.

Yuan with at most two decimals become integer fen; 是/否 (or yes/no, 1/0) become booleans; dates are
real ISO dates (a spreadsheet's own date cells are accepted as they are).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from huiqi.delivery import DeliveryError
from huiqi.money import to_fen


def money_fen(field: str, value: Any, required: bool = False) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise DeliveryError(field, "required / 必填")
        return None
    try:
        fen = to_fen(Decimal(str(value).replace(",", "").replace("¥", "").strip()))
    except Exception:
        raise DeliveryError(field, f"'{value}' is not an amount in yuan with at most two decimals / 金额无效（元，最多两位小数）") from None
    if fen < 0:
        raise DeliveryError(field, "must not be negative / 不能为负数")
    return fen


def yes_no(field: str, value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("是", "y", "yes", "true", "1", "on"):
        return True
    if text in ("否", "n", "no", "false", "0", "off"):
        return False
    raise DeliveryError(field, f"'{value}' is not 是/否 / 须填“是”或“否”")


def date_value(field: str, value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise DeliveryError(field, f"'{value}' is not a real date (YYYY-MM-DD) / 日期无效") from None
