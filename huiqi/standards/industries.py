"""国民经济行业分类 GB/T 4754-2017: the industry tree, and the groupings the policy keys on.

Why a data file: the tree (20 sections, 97 divisions, 473 groups, ~1,380 classes) is a published table,
so it is kept as ``data/gbt4754_2017.csv`` (code,name_zh,level,parent), imported once from repo
``zmshe/capital`` ``src/utils/category.js`` @ 0b8f1ae by ``scripts/oneoff_import_gbt4754_2017.py``.
That source includes the 2019 amendment's class 5267 机动车充电销售.

Why the groupings are functions over the tree and not lists of codes: a code at any level (section
letter, 2-, 3- or 4-digit) answers ``is_industrial`` etc. by whether its *whole* subtree lies inside
the grouping, so ``"C"`` is industrial but ``"I"`` is not "internet or software" (it also holds 63).

The 规上/限上 thresholds (``above_scale_*``) are data too: ``data/above_scale_thresholds.yaml``.

>>> lookup("6513").name_zh
'应用软件开发'
>>> section_of("6513")
'I'
>>> above_scale_threshold("5211")
('限上零售业', Decimal('5000000'))
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Literal

from huiqi.standards._data import StandardsDataError, load_yaml, read_text, scope_matches, specificity, wan_to_yuan

Level = Literal["section", "division", "group", "class"]
_LEVEL_BY_LEN: dict[int, Level] = {1: "section", 2: "division", 3: "group", 4: "class"}
_CODE_RE = re.compile(r"^(?:[A-T]|\d{2,4})$")

INDUSTRIAL_SECTIONS = frozenset("BCD")
INTERNET_SOFTWARE_DIVISIONS = frozenset({"64", "65"})
#: 商贸业 for above-limit statistics: wholesale, retail, accommodation, catering.
COMMERCE_DIVISIONS = frozenset({"51", "52", "61", "62"})


class UnknownIndustryCode(ValueError):
    """A code is not in GB/T 4754-2017 (or is malformed); the message names the code."""

    def __init__(self, message: str, *, code: object) -> None:
        super().__init__(message)
        self.code = code


class AmbiguousIndustryCode(ValueError):
    """A code is too coarse for the question: its subtree spans several answers (e.g. ``"70"``)."""

    def __init__(self, message: str, *, code: str, answers: tuple[str, ...]) -> None:
        super().__init__(message)
        self.code = code
        self.answers = answers


@dataclass(frozen=True)
class Industry:
    """One node of the GB/T 4754-2017 tree."""

    code: str
    name_zh: str
    level: Level
    parent: str | None
    section: str

    @property
    def division(self) -> str | None:
        """The 2-digit division (大类) this node is in, or ``None`` for a section."""
        return None if self.level == "section" else self.code[:2]


@dataclass(frozen=True)
class _Tree:
    nodes: dict[str, Industry]
    children: dict[str, tuple[str, ...]]


@cache
def _tree() -> _Tree:
    name = "gbt4754_2017.csv"
    nodes: dict[str, Industry] = {}
    rows = list(csv.DictReader(io.StringIO(read_text(name))))
    for lineno, row in enumerate(rows, 2):
        code, level, parent = row["code"], row["level"], row["parent"] or None
        if not _CODE_RE.match(code) or _LEVEL_BY_LEN.get(len(code)) != level:
            raise StandardsDataError(f"{name} line {lineno}: code {code!r} does not fit level {level!r}")
        if code in nodes:
            raise StandardsDataError(f"{name} line {lineno}: duplicate code {code!r}")
        if level == "section":
            section = code
            if parent is not None:
                raise StandardsDataError(f"{name} line {lineno}: section {code} has a parent")
        else:
            if parent is None or parent not in nodes:
                raise StandardsDataError(f"{name} line {lineno}: parent {parent!r} of {code} not defined before it")
            expected_parent = nodes[parent].section if level == "division" else code[:-1]
            if parent != expected_parent:
                raise StandardsDataError(
                    f"{name} line {lineno}: parent of {code} is {parent}, "
                    f"expected {expected_parent}"
                )
            section = nodes[parent].section
        nodes[code] = Industry(code=code, name_zh=row["name_zh"], level=level, parent=parent, section=section)
    children: dict[str, list[str]] = {}
    for node in nodes.values():
        if node.parent is not None:
            children.setdefault(node.parent, []).append(node.code)
    return _Tree(nodes=nodes, children={k: tuple(v) for k, v in children.items()})


def _normalise(code: object) -> str | None:
    if not isinstance(code, str):
        return None
    c = code.strip().upper()
    return c if _CODE_RE.match(c) else None


def lookup(code: str) -> Industry | None:
    """The :class:`Industry` for a section letter or a 2/3/4-digit code, or ``None`` if there is none."""
    c = _normalise(code)
    return None if c is None else _tree().nodes.get(c)


def validate_industry(code: str) -> Industry:
    """Like :func:`lookup`, but raise :class:`UnknownIndustryCode` (naming the code) instead of returning None."""
    c = _normalise(code)
    if c is None:
        raise UnknownIndustryCode(
            f"行业代码格式不正确：{code!r}（应为门类字母A–T或2–4位数字）/ "
            f"malformed GB/T 4754-2017 industry code {code!r} (expected a section letter A–T or 2 to 4 digits)",
            code=code,
        )
    node = _tree().nodes.get(c)
    if node is None:
        raise UnknownIndustryCode(
            f"GB/T 4754-2017 中没有行业代码 {c!r} / unknown GB/T 4754-2017 industry code {c!r}",
            code=code,
        )
    return node


def children(code: str) -> tuple[Industry, ...]:
    """The direct children of a node (empty for a class); raises :class:`UnknownIndustryCode`."""
    node = validate_industry(code)
    tree = _tree()
    return tuple(tree.nodes[c] for c in tree.children.get(node.code, ()))


def classes_under(code: str) -> tuple[Industry, ...]:
    """All 4-digit classes in the subtree of ``code`` (itself, if it is a class)."""
    node = validate_industry(code)
    tree = _tree()
    out: list[Industry] = []
    stack = [node.code]
    while stack:
        c = stack.pop()
        n = tree.nodes[c]
        if n.level == "class":
            out.append(n)
        stack.extend(reversed(tree.children.get(c, ())))
    return tuple(sorted(out, key=lambda n: n.code))


def all_industries() -> tuple[Industry, ...]:
    """Every node of the tree, in file order (each section followed by its subtree)."""
    return tuple(_tree().nodes.values())


def section_of(code: str) -> str:
    """The section letter (门类) of a code; raises :class:`UnknownIndustryCode`."""
    return validate_industry(code).section


def _divisions_in(node: Industry) -> frozenset[str]:
    if node.level != "section":
        return frozenset({node.code[:2]})
    return frozenset(c for c in _tree().children.get(node.code, ()))


def is_industrial(code: str) -> bool:
    """工业: sections B (mining), C (manufacturing), D (utilities), i.e. divisions 06–46 — the 规上工业 scope.

    Note that 05, 11 and 43 count as tertiary in the three-sector split but stay industrial here.
    """
    return validate_industry(code).section in INDUSTRIAL_SECTIONS


def is_internet_or_software(code: str) -> bool:
    """Divisions 64 互联网和相关服务 and 65 软件和信息技术服务业 (section ``"I"`` is not: it also holds 63)."""
    return _divisions_in(validate_industry(code)) <= INTERNET_SOFTWARE_DIVISIONS


def is_commerce(code: str) -> bool:
    """商贸业 for above-limit statistics: wholesale 51, retail 52, accommodation 61, catering 62."""
    return _divisions_in(validate_industry(code)) <= COMMERCE_DIVISIONS


# --- above-scale (规上 / 限上) thresholds ------------------------------------------------------------


@dataclass(frozen=True)
class AboveScaleRule:
    """The 规模以上/限额以上 test for one statistical category.

    ``threshold_yuan`` is ``None`` where the category has no revenue test (construction: qualification;
    real-estate development: any unit with development activity); ``reason_zh``/``reason_en`` say why.
    The comparison is ``revenue >= threshold_yuan`` (及以上), for legal-person units.
    """

    key: str
    category_zh: str
    scope: tuple[str, ...]
    measure_zh: str | None
    threshold_yuan: Decimal | None
    tier: int | None = None
    reason_zh: str | None = None
    reason_en: str | None = None

    def is_above(self, revenue_yuan: Decimal) -> bool:
        """Whether annual revenue meets the threshold; raises ``ValueError`` where there is no revenue test."""
        if self.threshold_yuan is None:
            raise ValueError(
                f"{self.category_zh}没有营业收入标准：{self.reason_zh} / "
                f"{self.key} has no revenue test: {self.reason_en}"
            )
        if not isinstance(revenue_yuan, (Decimal, int)) or isinstance(revenue_yuan, bool):
            raise ValueError(
                f"revenue_yuan 必须是 Decimal 或 int，实际为 {type(revenue_yuan).__name__} / "
                f"revenue_yuan must be a Decimal or int, got {type(revenue_yuan).__name__}"
            )
        return Decimal(revenue_yuan) >= self.threshold_yuan


@cache
def _above_scale_rules() -> tuple[AboveScaleRule, ...]:
    name = "above_scale_thresholds.yaml"
    data = load_yaml(name)
    if data.get("comparison") != ">=":
        raise StandardsDataError(f"{name}: only comparison '>=' is supported, got {data.get('comparison')!r}")
    rules = []
    for i, entry in enumerate(data["categories"]):
        wan = entry.get("threshold_wan")
        scope = tuple(str(s) for s in entry["scope"])
        for s in scope:
            if lookup(s) is None:
                raise StandardsDataError(f"{name}: categories[{i}] scope item {s!r} is not a GB/T 4754-2017 code")
        if wan is None and not entry.get("reason_zh"):
            raise StandardsDataError(f"{name}: categories[{i}] has no threshold and no reason")
        rules.append(
            AboveScaleRule(
                key=entry["key"],
                category_zh=entry["name_zh"],
                scope=scope,
                measure_zh=entry.get("measure_zh"),
                threshold_yuan=None if wan is None else wan_to_yuan(wan),
                tier=entry.get("tier"),
                reason_zh=entry.get("reason_zh"),
                reason_en=entry.get("reason_en"),
            )
        )
    return tuple(rules)


@cache
def _above_scale_by_class() -> dict[str, AboveScaleRule | None]:
    rules = _above_scale_rules()
    out: dict[str, AboveScaleRule | None] = {}
    for node in _tree().nodes.values():
        if node.level != "class":
            continue
        hits = [(specificity(s), r) for r in rules for s in r.scope if scope_matches(s, node.section, node.code)]
        if not hits:
            out[node.code] = None
            continue
        best = max(h[0] for h in hits)
        top = {r.key: r for sp, r in hits if sp == best}
        if len(top) > 1:
            raise StandardsDataError(
                f"above_scale_thresholds.yaml: class {node.code} "
                f"is in overlapping scopes {sorted(top)}"
            )
        out[node.code] = next(iter(top.values()))
    return out


def above_scale_rule(code: str) -> AboveScaleRule | None:
    """The 规上/限上 rule for an industry code, or ``None`` if no 四上 category covers it (e.g. finance J).

    A coarse code must resolve to one rule for its whole subtree, else :class:`AmbiguousIndustryCode`
    (``"70"`` spans 7010 development and 7020–7090 services).  Raises :class:`UnknownIndustryCode`.
    """
    node = validate_industry(code)
    by_class = _above_scale_by_class()
    found = {by_class[n.code] for n in classes_under(node.code)}
    if len(found) > 1:
        answers = tuple(sorted(r.key if r else "none" for r in found))
        raise AmbiguousIndustryCode(
            f"行业代码 {node.code!r} 涵盖多个规上/限上口径（{'、'.join(answers)}），请使用更细的代码 / "
            f"industry code {node.code!r} spans several above-scale categories ({', '.join(answers)}); "
            f"use a finer code",
            code=node.code,
            answers=answers,
        )
    return found.pop() if found else None


def above_scale_threshold(code: str) -> tuple[str, Decimal] | None:
    """``(category_name, threshold in yuan)`` for the 规上/限上 revenue test of an industry, or ``None``.

    ``None`` means there is no revenue test: either the category has none (construction 有资质的建筑业,
    real-estate development 7010 — :func:`above_scale_rule` gives the reason) or no 四上 category covers
    the code.  Comparison is ``>=``.  Raises :class:`UnknownIndustryCode` / :class:`AmbiguousIndustryCode`.
    """
    rule = above_scale_rule(code)
    if rule is None or rule.threshold_yuan is None:
        return None
    return rule.category_zh, rule.threshold_yuan
