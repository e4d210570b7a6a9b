"""Which measure of a policy calls for which service of the platform, as its measure files declare it.

A measure file says ``features: [project_registry]`` (or ``voice_channel``, ``published_lists``,
``four_zones`` with their details; see :class:`huiqi.rules.model.Feature`); the code never names a measure.
A policy without a measure declaring a feature simply has no such service: its pages answer 404
(「本政策未设此项服务」) and the navigation does not link to them.
"""

from __future__ import annotations

from huiqi.rules.model import Feature, Measure

# the page of each feature, for the navigation and the 404 answer
PAGES = {"published_lists": "/lists", "voice_channel": "/voice", "project_registry": "/projects",
         "four_zones": "/zones"}


def _policy(policy):
    if policy is not None:
        return policy
    from huiqi import policies

    return policies.load()


def measures_with(name: str, policy=None) -> list[Measure]:
    """The measures declaring feature ``name``, in the text's order."""
    return [m for m in _policy(policy).measures if m.feature(name) is not None]


def declared(name: str, policy=None) -> tuple[Measure, Feature] | None:
    """The first measure declaring feature ``name`` and its declaration; None when no measure does."""
    for m in _policy(policy).measures:
        f = m.feature(name)
        if f is not None:
            return m, f
    return None


def has(name: str, policy=None) -> bool:
    return declared(name, policy) is not None


def basis(name: str, policy=None) -> tuple[Measure, tuple[str, ...]] | None:
    """The measure declaring ``name`` and the sentences its page quotes as the basis: the citation of the
    provision the declaration names (else nothing to quote)."""
    found = declared(name, policy)
    if found is None:
        return None
    m, f = found
    p = m.provision(f.provision) if f.provision else None
    return m, tuple(p.citation) if p else ()


# -- measure numbers as the text writes them ------------------------------------------------------------

_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 15 → 十五, 23 → 二十三, 100 → 一百 (for 第…条 up to 999)."""
    if n < 0 or n > 999:
        raise ValueError(n)
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _DIGITS[n // 10] + "十" + (_DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    tail = "" if rest == 0 else ("零" + _DIGITS[rest] if rest < 10 else
                                 ("一" + cn_number(rest) if rest < 20 else cn_number(rest)))
    return _DIGITS[n // 100] + "百" + tail


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if out and n == out[-1][1] + 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return out


def articles_zh(numbers: list[int]) -> str:
    """[15, 16, 17, 18, 21, 22] → 第十五至十八、二十一、二十二条 (three or more in a row as a range)."""
    parts = []
    for a, b in _runs(numbers):
        if b - a >= 2:
            parts.append(f"{cn_number(a)}至{cn_number(b)}")
        else:
            parts.extend(cn_number(n) for n in range(a, b + 1))
    return f"第{'、'.join(parts)}条" if parts else ""


def articles_en(numbers: list[int]) -> str:
    """[15, 16, 17, 18, 21, 22] → measures 15–18, 21, 22; [23] → measure 23."""
    parts = []
    for a, b in _runs(numbers):
        if b - a >= 2:
            parts.append(f"{a}–{b}")
        else:
            parts.extend(str(n) for n in range(a, b + 1))
    if not parts:
        return ""
    return ("measure " if len(numbers) == 1 else "measures ") + ", ".join(parts)


def region(policy=None) -> tuple[str, str]:
    """The place the policy governs, in Chinese and English (its header's ``region_zh``/``region_en``)."""
    h = _policy(policy).header
    return (h.region_zh or "本政策适用地域", h.region_en or "the policy's area")


def district_refused(district: str, policy=None) -> str:
    """The message for a district code outside the policy's area."""
    zh, en = region(policy)
    return f"'{district}' is not a district code of {en} / 不是{zh}县区代码"
