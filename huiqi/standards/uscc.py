"""统一社会信用代码 (Unified Social Credit Code, GB 32100-2015): validate, generate and read it.

Why our own and not python-stdnum: stdnum requires positions 1–8 to be digits and so rejects valid
A-, N- and Y-prefixed codes.  Why the embedded organisation-code check (position 17, GB 11714) is only
*reported*: real registries contain codes whose position 17 fails it, and refusing them would refuse
real enterprises.  The mod-31 check at position 18 (GB/T 17710) is enforced.

Positions 3–8 are the registering office's division *at the time of issue* and never change, so they
are not a reliable guide to the enterprise's current district (see :mod:`huiqi.standards.divisions`).

>>> validate_uscc(" 91110000600037341l ")
'91110000600037341L'
>>> make_uscc("91530100MA6K3YXF8")
'91530100MA6K3YXF8W'
>>> entity_type("92340602MA2PBMEM24").type_zh
'个体工商户'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from huiqi.standards._data import StandardsDataError, load_yaml

#: The 31 symbols, in value order (I, O, S, V and Z are never used).
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(CHARSET)}
#: Weights for positions 1–17: 3^(i-1) mod 31.
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
#: GB 11714 organisation-code weights over positions 9–16.
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_NEVER_USED = "IOSVZ"
LENGTH = 18


class InvalidCreditCode(ValueError):
    """A string is not a valid 统一社会信用代码; the message says what is wrong, in Chinese and English.

    ``reason`` is one of ``"type"``, ``"length"``, ``"character"``, ``"region"``, ``"check"``;
    ``position`` is 1-based where one position is at fault; ``expected``/``got`` are set for ``"check"``.
    """

    def __init__(
        self,
        message: str,
        *,
        code: object,
        reason: str,
        position: int | None = None,
        expected: str | None = None,
        got: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.position = position
        self.expected = expected
        self.got = got


def _normalise(code: object, *, length: int = LENGTH, what: str = "统一社会信用代码") -> str:
    """Strip, upper-case and check length, charset and positions 3–8; raise :class:`InvalidCreditCode`."""
    if not isinstance(code, str):
        raise InvalidCreditCode(
            f"{what}必须是字符串，实际为 {type(code).__name__} / "
            f"credit code must be a string, got {type(code).__name__}: {code!r}",
            code=code,
            reason="type",
        )
    c = code.strip().upper()
    if len(c) != length:
        raise InvalidCreditCode(
            f"{what}应为{length}位，实际为{len(c)}位：{c!r} / "
            f"credit code must be {length} characters long, got {len(c)}: {c!r}",
            code=code,
            reason="length",
        )
    for pos, ch in enumerate(c, 1):
        if ch not in _VALUE:
            why_zh = "（代码不使用 I、O、S、V、Z）" if ch in _NEVER_USED else ""
            why_en = " (I, O, S, V and Z are never used)" if ch in _NEVER_USED else ""
            raise InvalidCreditCode(
                f"{what}第{pos}位字符 {ch!r} 不允许{why_zh}：{c!r} / "
                f"forbidden character {ch!r} at position {pos}{why_en}: {c!r}",
                code=code,
                reason="character",
                position=pos,
                got=ch,
            )
    for pos in range(3, 9):
        ch = c[pos - 1]
        if not ch.isdigit():
            raise InvalidCreditCode(
                f"{what}第3–8位（登记管理机关行政区划码）必须是数字，第{pos}位为 {ch!r}：{c!r} / "
                f"positions 3–8 (registering office's division code) must be digits; "
                f"position {pos} is {ch!r}: {c!r}",
                code=code,
                reason="region",
                position=pos,
                got=ch,
            )
    return c


def _check_char(first17: str) -> str:
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS))
    return CHARSET[(31 - total % 31) % 31]


def validate_uscc(code: str) -> str:
    """Return ``code`` normalised (stripped, upper-case) if it is a valid credit code, else raise.

    Checks: 18 characters; every character in ``0-9A-HJ-NPQRTUWXY``; positions 3–8 digits; the mod-31
    check character at position 18.  The organisation-code check at position 17 is *not* enforced (see
    :func:`org_code_check_ok`).  Raises :class:`InvalidCreditCode` saying what is wrong and where.
    """
    c = _normalise(code)
    expected = _check_char(c[:17])
    if c[17] != expected:
        raise InvalidCreditCode(
            f"统一社会信用代码校验码错误：第18位应为 {expected!r}，实际为 {c[17]!r}：{c!r} / "
            f"bad check character at position 18: expected {expected!r} got {c[17]!r}: {c!r}",
            code=code,
            reason="check",
            position=18,
            expected=expected,
            got=c[17],
        )
    return c


def is_valid_uscc(code: object) -> bool:
    """True if :func:`validate_uscc` accepts ``code``; never raises."""
    try:
        validate_uscc(code)  # type: ignore[arg-type]
    except InvalidCreditCode:
        return False
    return True


def _org_value(ch: str) -> int:
    # GB 11714: digits are their value, letters A=10 … Z=35 (the full Latin alphabet).
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def org_check_char(body8: str) -> str:
    """The GB 11714 organisation-code check character for 8 body characters (positions 9–16 of a USCC).

    ``11 − (Σ value·weight mod 11)``, where 10 is written ``X`` and 11 is written ``0``.

    >>> org_check_char("60003734")
    '1'
    """
    if not isinstance(body8, str) or len(body8.strip()) != 8:
        raise InvalidCreditCode(
            f"组织机构代码本体应为8位：{body8!r} / organisation-code body must be 8 characters: {body8!r}",
            code=body8,
            reason="length",
        )
    b = body8.strip().upper()
    for pos, ch in enumerate(b, 1):
        if not (ch.isdigit() or "A" <= ch <= "Z"):
            raise InvalidCreditCode(
                f"组织机构代码本体第{pos}位字符 {ch!r} 不允许：{b!r} / "
                f"forbidden character {ch!r} at position {pos} of the organisation-code body: {b!r}",
                code=body8,
                reason="character",
                position=pos,
                got=ch,
            )
    c = 11 - sum(_org_value(ch) * w for ch, w in zip(b, ORG_WEIGHTS)) % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def org_code_check_ok(code: str) -> bool:
    """Whether position 17 of a valid credit code is the right GB 11714 organisation-code check character.

    Raises :class:`InvalidCreditCode` if ``code`` is not a valid credit code in the first place.  A
    ``False`` here is a data-quality flag, not a reason to reject: registries contain such codes.
    """
    c = validate_uscc(code)
    return org_check_char(c[8:16]) == c[16]


def make_uscc(prefix17: str) -> str:
    """Append the right mod-31 check character to a 17-character prefix (for synthetic data).

    The prefix must satisfy the same charset and positions-3–8 rules as a full code.  To make a code
    that also passes the organisation-code check, build position 17 with :func:`org_check_char`.
    """
    p = _normalise(prefix17, length=17, what="统一社会信用代码前17位")
    return p + _check_char(p)


# --- registration authority and entity type (positions 1–2) -------------------------------------


@dataclass(frozen=True)
class EntityType:
    """What positions 1–2 say about the registrant; names are ``None`` where the table has none."""

    authority: str
    type: str
    authority_zh: str | None
    authority_en: str | None
    type_zh: str | None
    type_en: str | None
    #: True if the (authority, type) pair is in the GB 32100 table.
    listed: bool

    @property
    def is_market_entity(self) -> bool:
        """Registered by market regulation (工商, first character ``9``)."""
        return self.authority == "9"

    @property
    def is_enterprise(self) -> bool:
        """``91``: an enterprise (企业)."""
        return (self.authority, self.type) == ("9", "1")

    @property
    def is_individual_business(self) -> bool:
        """``92``: an individual business (个体工商户)."""
        return (self.authority, self.type) == ("9", "2")

    @property
    def is_farmers_cooperative(self) -> bool:
        """``93``: a farmers' specialised co-operative (农民专业合作社)."""
        return (self.authority, self.type) == ("9", "3")


@cache
def _entity_table() -> tuple[dict[str, tuple[str, str]], dict[tuple[str, str], tuple[str | None, str | None]]]:
    data = load_yaml("uscc_entity_types.yaml")
    authorities: dict[str, tuple[str, str]] = {}
    types: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    for a, entry in data["authorities"].items():
        a = str(a)
        if len(a) != 1 or a not in _VALUE:
            raise StandardsDataError(f"uscc_entity_types.yaml: authority code {a!r} is not one allowed character")
        authorities[a] = (entry["name_zh"], entry["name_en"])
        for t, names in entry["types"].items():
            t = str(t)
            if len(t) != 1 or t not in _VALUE:
                raise StandardsDataError(f"uscc_entity_types.yaml: type code {a}{t!r} is not one allowed character")
            types[(a, t)] = (names["name_zh"], names["name_en"])
    return authorities, types


def entity_type(code: str) -> EntityType:
    """Read positions 1–2 of a valid credit code against the GB 32100 authority/type table.

    Raises :class:`InvalidCreditCode` for an invalid code.  An unlisted authority or type is not an
    error (the code is still valid); its names are then ``None`` and ``listed`` is False.
    """
    c = validate_uscc(code)
    authorities, types = _entity_table()
    a_zh, a_en = authorities.get(c[0], (None, None))
    t_zh, t_en = types.get((c[0], c[1]), (None, None))
    return EntityType(
        authority=c[0],
        type=c[1],
        authority_zh=a_zh,
        authority_en=a_en,
        type_zh=t_zh,
        type_en=t_en,
        listed=(c[0], c[1]) in types,
    )


def registration_division(code: str) -> str:
    """Positions 3–8: the GB/T 2260 code of the registering office *when the code was issued*.

    Not the enterprise's current district: codes never change after a reorganisation (e.g. 530122 晋宁县).
    """
    return validate_uscc(code)[2:8]
