"""The one strict money parser: every amount a person or a file gives passes here before it becomes fen.

Accepted: decimal digits with at most two decimals of yuan (or whole fen where the field is fen), optional
thousands separators in their proper places, full-width digits and punctuation (normalised on purpose, one
character at a time — not NFKC, which would also turn other things into digits), a leading ¥/￥ and
surrounding spaces. Refused, each with its own message naming the field: exponents (``1e3``),
underscores (``1_000``), booleans, JSON floats for fen, more than two decimals, negatives where not allowed,
and anything above the field's upper bound (checked on the text's length first, so forty digits or
``1e999999`` never reach Decimal arithmetic).

>>> yuan_to_fen("1,234.5", "amount")
123450
>>> yuan_to_fen("１２３４．５０", "amount")
123450
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from huiqi import messages
from huiqi.errors import HuiqiError

MAX_YUAN = Decimal(10**12)  # 1万亿 yuan: no amount in a support policy comes near it
MAX_FEN = 10**14  # the same bound in fen
_MAX_TEXT = 40  # longer text is not an amount (and is not echoed back whole)

FULL_WIDTH = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)}, "，": ",", "．": ".", "－": "-",
                            "＋": "+", "　": " ", "。": "."})

messages.add({
    "money.empty": ("请填写金额", "enter an amount"),
    "money.bool": ("金额不能是“是/否”", "an amount cannot be true or false"),
    "money.float_fen": ("以分为单位的金额须为整数（不能写成 1000.0 或 1e3）",
                        "an amount in fen must be a whole number (not 1000.0 or 1e3)"),
    "money.float_yuan": ("金额请写成文字或整数（如 \"1000.50\"），不能是 JSON 小数（二进制小数不精确）",
                         "write the amount as a string or a whole number (like \"1000.50\"), not a JSON float (inexact)"),
    "money.text_fen": ("以分为单位的金额须为数字，不能是文字", "an amount in fen must be a number, not text"),
    "money.exponent": ("金额不能使用科学计数法（如 1e3），请写出全部数字", "no exponents (like 1e3): write the digits out"),
    "money.underscore": ("金额不能含下划线", "no underscores in an amount"),
    "money.separator": ("千位分隔符位置不对（应如 1,234,567.89）", "thousands separators out of place (like 1,234,567.89)"),
    "money.format": ("不是有效金额：{value}（元，最多两位小数，如 1234.50）",
                     "not an amount: {value} (yuan, at most two decimals, like 1234.50)"),
    "money.decimals": ("金额最多两位小数（精确到分）", "at most two decimals (exact to the fen)"),
    "money.negative": ("金额不能为负数", "must not be negative"),
    "money.zero": ("金额须大于零", "must be more than zero"),
    "money.too_large": ("金额超出上限 {limit}", "above the limit of {limit}"),
})


class MoneyError(HuiqiError):
    """An amount refused; ``field`` is the field, ``code`` the reason (a message in :mod:`huiqi.messages`)."""

    status = 422

    def bilingual(self) -> str:
        """``"中文 / English"`` — for the places that carry one string (pydantic's value errors)."""
        return f"{self.message('zh')} / {self.message('en')}"


def _limit_text(fen: int) -> str:
    from huiqi.money import format_fen

    return format_fen(fen)


def _clean(text: str) -> str:
    t = text.translate(FULL_WIDTH).strip()
    if t[:1] in ("¥", "￥"):
        t = t[1:].strip()
    return t


_PLAIN = re.compile(r"[+-]?\d+(?:\.\d*)?|[+-]?\.\d+")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")


def decimal_text(text: str, field: str) -> Decimal:
    """The strict grammar: a signed decimal, thousands separators only where they belong."""
    t = _clean(text)
    if not t:
        raise MoneyError("money.empty", field)
    if len(t) > _MAX_TEXT:
        raise MoneyError("money.too_large", field, limit=_limit_text(MAX_FEN))
    if "_" in t:
        raise MoneyError("money.underscore", field)
    if re.search(r"\d\s*[eE]|^[eE]|[eE]\s*[+-]?\d|inf|nan", t, re.I):
        raise MoneyError("money.exponent" if re.search(r"[eE]", t) and not re.search(r"inf|nan", t, re.I) else "money.format",
                         field, value=text[:_MAX_TEXT])
    if "," in t:
        if not _GROUPED.fullmatch(t):
            raise MoneyError("money.separator", field)
        t = t.replace(",", "")
    if not _PLAIN.fullmatch(t):
        raise MoneyError("money.format", field, value=text[:_MAX_TEXT])
    try:
        return Decimal(t)
    except InvalidOperation:  # pragma: no cover - the grammar above admits only what Decimal reads
        raise MoneyError("money.format", field, value=text[:_MAX_TEXT]) from None


def yuan_to_fen(value: Any, field: str, *, maximum: Decimal = MAX_YUAN, positive: bool = False,
                negative: bool = False, cell: bool = False) -> int:
    """Yuan (text, int or Decimal) → integer fen, strictly. ``cell``: a float a spreadsheet stored is read by its
    shortest decimal text (``0.1`` stays 0.1, ``0.30000000000000004`` is refused as more than two decimals)."""
    if isinstance(value, bool):
        raise MoneyError("money.bool", field)
    if isinstance(value, float):
        if not cell:
            raise MoneyError("money.format", field, value=repr(value)[:_MAX_TEXT])
        if value != value or value in (float("inf"), float("-inf")):
            raise MoneyError("money.format", field, value=repr(value))
        if abs(value) > float(maximum):
            raise MoneyError("money.too_large", field, limit=_limit_text(int(maximum * 100)))
        value = Decimal(repr(value))  # shortest text that reads back to the same float
    if isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise MoneyError("money.format", field, value=str(value)[:_MAX_TEXT])
        d = value
    elif isinstance(value, str):
        d = decimal_text(value, field)
    else:
        raise MoneyError("money.format", field, value=str(value)[:_MAX_TEXT])
    if d < 0 and not negative:
        raise MoneyError("money.zero" if positive else "money.negative", field)
    if abs(d) > maximum:
        raise MoneyError("money.too_large", field, limit=_limit_text(int(maximum * 100)))
    if d != d.quantize(Decimal("0.01")):
        raise MoneyError("money.decimals", field)
    fen = int(d * 100)
    if positive and fen <= 0:
        raise MoneyError("money.zero", field)
    return fen


def fen_value(value: Any, field: str, *, maximum: int = MAX_FEN, positive: bool = True) -> int:
    """Whole fen as a JSON number: an int and nothing else (no bool, no 1000.0, no "1000", no 1e3)."""
    if isinstance(value, bool):
        raise MoneyError("money.bool", field)
    if isinstance(value, float):
        raise MoneyError("money.float_fen", field)
    if isinstance(value, (str, bytes)):
        raise MoneyError("money.text_fen", field)
    if not isinstance(value, int):
        raise MoneyError("money.format", field, value=str(value)[:_MAX_TEXT])
    if value < 0:
        raise MoneyError("money.negative", field)
    if positive and value == 0:
        raise MoneyError("money.zero", field)
    if value > maximum:
        raise MoneyError("money.too_large", field, limit=_limit_text(maximum))
    return value


def yuan(value: Any, field: str, **kw: Any) -> Decimal:
    """Like :func:`yuan_to_fen`, as exact Decimal yuan with two places (for models that hold yuan)."""
    return (Decimal(yuan_to_fen(value, field, **kw)) / 100).quantize(Decimal("0.01"))


# -- for pydantic models -----------------------------------------------------------------------------


def _pydantic_fen(value: Any, info: Any) -> int:
    try:
        return fen_value(value, info.field_name or "amount_fen")
    except MoneyError as e:  # pydantic words a ValueError as the field's problem (a 422 naming the field)
        raise ValueError(e.bilingual()) from None


def _pydantic_yuan(value: Any, info: Any) -> Any:
    """Profile money: yuan as exact Decimal; JSON floats, exponents, underscores and booleans refused. Checks
    of range stay with the model (its own messages); only the form of the number is decided here."""
    try:
        if isinstance(value, float):
            raise MoneyError("money.float_yuan", info.field_name)
        if isinstance(value, bool):
            raise MoneyError("money.bool", info.field_name)
        if isinstance(value, str):
            return decimal_text(value, info.field_name or "amount")
    except MoneyError as e:
        if e.code in ("money.format", "money.empty", "money.too_large"):
            return value  # not a number at all, or huge: the model's own checks word it (请输入数字, 超出合理范围)
        raise ValueError(e.bilingual()) from None
    return value


def fen_type():
    """``amount_fen`` in an API body: whole fen as a JSON integer, ``0 < fen ≤`` :data:`MAX_FEN`."""
    from pydantic import BeforeValidator, Field

    return Annotated[int, BeforeValidator(_pydantic_fen), Field(gt=0, le=MAX_FEN, strict=True, examples=[50000000],
                                                             description="金额（分，整数） / amount in whole fen")]


def yuan_validator():
    """The BeforeValidator profile money uses (see :func:`_pydantic_yuan`)."""
    from pydantic import BeforeValidator

    return BeforeValidator(_pydantic_yuan)
