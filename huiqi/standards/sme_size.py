"""SME size classes (大中小微型企业划型), 工信部联企业〔2011〕300号 / 国统字〔2017〕213号.

Why a data file: the thresholds are a versioned table (``data/sme_size_2017.yaml``, in 万元 as
published, converted to yuan ``Decimal`` at load), and a revision would be a new file, not a code
edit.  Why the rule is written once here: large, medium and small must meet *all* their listed lower
bounds (≥), otherwise the enterprise drops one class; what meets none is micro (NBS 2017 note).

Each industry code maps to one row by the most specific scope item (工业 B+C+D; 建筑 E; 批发 51;
零售 52; 交通运输 54–58; 仓储 59; 邮政 60; 住宿 61; 餐饮 62; 信息传输 63–64; 软件 65; 房地产开发
7010; 物业管理 702; 租赁和商务服务 L; 农林牧渔 A); everything else, including 53 rail and finance J,
falls to 其他未列明 (by headcount only, "参照").  Finance has its own standard (not modelled here).

>>> from decimal import Decimal
>>> classify("3011", employees=300, revenue_yuan=Decimal("20000000"), assets_yuan=None).value
'medium'
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from functools import cache
from types import MappingProxyType
from typing import Mapping

from huiqi.standards._data import StandardsDataError, load_yaml, scope_matches, specificity, wan_to_yuan
from huiqi.standards.industries import (
    AmbiguousIndustryCode,
    all_industries,
    classes_under,
    lookup,
    validate_industry,
)

DATA_FILE = "sme_size_2017.yaml"
#: Metric names as used in the data file → the ``classify`` argument they bind to.
_METRICS = {"employees": "employees", "revenue_wan": "revenue_yuan", "assets_wan": "assets_yuan"}
_METRIC_ZH = {"employees": "从业人员", "revenue_yuan": "营业收入", "assets_yuan": "资产总额"}


class SizeClass(Enum):
    """大型 / 中型 / 小型 / 微型, ordered: ``MICRO < SMALL < MEDIUM < LARGE``."""

    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"

    @property
    def rank(self) -> int:
        """0 for micro up to 3 for large."""
        return _ORDER.index(self)

    @property
    def name_zh(self) -> str:
        """大型 / 中型 / 小型 / 微型."""
        return {"micro": "微型", "small": "小型", "medium": "中型", "large": "大型"}[self.value]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, SizeClass):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, SizeClass):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, SizeClass):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, SizeClass):
            return NotImplemented
        return self.rank >= other.rank


_ORDER = (SizeClass.MICRO, SizeClass.SMALL, SizeClass.MEDIUM, SizeClass.LARGE)


class MissingFigure(ValueError):
    """A figure the industry's row needs was not given; ``field`` names the ``classify`` argument."""

    def __init__(self, message: str, *, field: str, industry_code: str) -> None:
        super().__init__(message)
        self.field = field
        self.industry_code = industry_code


@dataclass(frozen=True)
class SizeRow:
    """One industry row of the table: lower bounds per class, keyed by ``classify`` argument name.

    Money bounds are yuan ``Decimal``; ``employees`` bounds are ``int``.
    """

    key: str
    name_zh: str
    scope: tuple[str, ...]
    bounds: Mapping[SizeClass, Mapping[str, Decimal | int]]

    @property
    def metrics(self) -> tuple[str, ...]:
        """The ``classify`` arguments this row needs (``employees``, ``revenue_yuan``, ``assets_yuan``)."""
        seen: dict[str, None] = {}
        for cls in (SizeClass.LARGE, SizeClass.MEDIUM, SizeClass.SMALL):
            for m in self.bounds[cls]:
                seen[m] = None
        return tuple(seen)


@dataclass(frozen=True)
class _Table:
    version: str
    rows: tuple[SizeRow, ...]
    fallback: SizeRow


@cache
def _table() -> _Table:
    raw = load_yaml(DATA_FILE)
    rows: list[SizeRow] = []
    for i, e in enumerate(raw["rows"]):
        where = f"{DATA_FILE}: rows[{i}] ({e.get('key')})"
        scope = tuple(str(s) for s in e["scope"])
        for s in scope:
            if lookup(s) is None:
                raise StandardsDataError(f"{where}: scope item {s!r} is not a GB/T 4754-2017 code")
        bounds: dict[SizeClass, Mapping[str, Decimal | int]] = {}
        for cls in (SizeClass.LARGE, SizeClass.MEDIUM, SizeClass.SMALL):
            entry = e[cls.value]
            conv: dict[str, Decimal | int] = {}
            for metric, value in entry.items():
                if metric not in _METRICS:
                    raise StandardsDataError(f"{where}: unknown metric {metric!r} in {cls.value}")
                if metric == "employees":
                    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                        raise StandardsDataError(
                            f"{where}: {cls.value}.employees must be a whole number, "
                            f"got {value!r}"
                        )
                    conv[_METRICS[metric]] = value
                else:
                    conv[_METRICS[metric]] = wan_to_yuan(value)
            bounds[cls] = MappingProxyType(conv)
        # Same metrics in every class, and bounds non-decreasing small ≤ medium ≤ large (monotone by construction).
        metric_sets = {frozenset(b) for b in bounds.values()}
        if len(metric_sets) != 1:
            raise StandardsDataError(f"{where}: large/medium/small must list the same metrics")
        for m in bounds[SizeClass.SMALL]:
            if not bounds[SizeClass.SMALL][m] <= bounds[SizeClass.MEDIUM][m] <= bounds[SizeClass.LARGE][m]:
                raise StandardsDataError(f"{where}: bounds for {m} must not decrease from small to large")
        rows.append(SizeRow(key=e["key"], name_zh=e["name_zh"], scope=scope, bounds=MappingProxyType(bounds)))
    by_key = {r.key: r for r in rows}
    if len(by_key) != len(rows):
        raise StandardsDataError(f"{DATA_FILE}: duplicate row keys")
    if raw.get("fallback") not in by_key:
        raise StandardsDataError(f"{DATA_FILE}: fallback {raw.get('fallback')!r} is not a row key")
    return _Table(version=str(raw["version"]), rows=tuple(rows), fallback=by_key[raw["fallback"]])


@cache
def _row_by_class() -> dict[str, tuple[SizeRow, bool]]:
    """4-digit class → (row, listed); ``listed`` is False where the class only falls to the fallback row."""
    table = _table()
    out: dict[str, tuple[SizeRow, bool]] = {}
    for node in (n for n in all_industries() if n.level == "class"):
        hits = [(specificity(s), r) for r in table.rows for s in r.scope if scope_matches(s, node.section, node.code)]
        if not hits:
            out[node.code] = (table.fallback, False)
            continue
        best = max(h[0] for h in hits)
        top = {r.key: r for sp, r in hits if sp == best}
        if len(top) > 1:
            raise StandardsDataError(f"{DATA_FILE}: class {node.code} is in overlapping scopes {sorted(top)}")
        out[node.code] = (next(iter(top.values())), True)
    return out


def _resolve(code: str) -> tuple[SizeRow, bool]:
    node = validate_industry(code)
    index = _row_by_class()
    found = [index[n.code] for n in classes_under(node.code)]
    rows = {r.key for r, _ in found}
    if len(rows) > 1:
        answers = tuple(sorted(rows))
        raise AmbiguousIndustryCode(
            f"行业代码 {node.code!r} 涵盖多个划型行业（{'、'.join(answers)}），请使用更细的代码 / "
            f"industry code {node.code!r} spans several SME size rows ({', '.join(answers)}); use a finer code",
            code=node.code,
            answers=answers,
        )
    return found[0][0], all(listed for _, listed in found)


def size_row(industry_code: str) -> SizeRow:
    """The table row that applies to an industry code (raises ``UnknownIndustryCode`` / ``AmbiguousIndustryCode``)."""
    return _resolve(industry_code)[0]


def is_listed(industry_code: str) -> bool:
    """False where the code is classified only "by reference" through the 其他未列明 fallback (e.g. 53, J)."""
    return _resolve(industry_code)[1]


def table_version() -> str:
    """The version of the size table in use (``"2017"``)."""
    return _table().version


def _check_figure(name: str, value: object) -> None:
    if value is None:
        return
    if name == "employees":
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(
                f"从业人员 employees 必须是整数，实际为 {type(value).__name__} {value!r} / "
                f"employees must be an int, got {type(value).__name__} {value!r}"
            )
        if value < 0:
            raise ValueError(f"从业人员 employees 不能为负数：{value} / employees must not be negative, got {value}")
        return
    if not isinstance(value, (Decimal, int)) or isinstance(value, bool):
        raise ValueError(
            f"{_METRIC_ZH[name]} {name} 必须是 Decimal（元），实际为 {type(value).__name__} {value!r} / "
            f"{name} must be a Decimal amount in yuan, got {type(value).__name__} {value!r}"
        )
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{_METRIC_ZH[name]} {name} 必须是有限数：{value} / {name} must be finite, got {value}")


def classify(
    industry_code: str,
    employees: int | None,
    revenue_yuan: Decimal | None,
    assets_yuan: Decimal | None,
) -> SizeClass:
    """The size class of an enterprise whose main activity (主要经济活动) is ``industry_code``.

    Only the figures the industry's row lists are used; a missing one raises :class:`MissingFigure`
    naming it (``employees``, ``revenue_yuan`` or ``assets_yuan``).  Bounds are inclusive lower bounds;
    large/medium/small need all of them, else the enterprise drops a class; micro is what is left.
    Raises ``UnknownIndustryCode`` / ``AmbiguousIndustryCode`` for codes that do not pick one row, and
    ``ValueError`` for figures of the wrong type (money must be ``Decimal`` yuan, never float).
    """
    figures: dict[str, Decimal | int | None] = {
        "employees": employees,
        "revenue_yuan": revenue_yuan,
        "assets_yuan": assets_yuan,
    }
    for name, value in figures.items():
        _check_figure(name, value)
    row = size_row(industry_code)
    for m in row.metrics:
        if figures[m] is None:
            raise MissingFigure(
                f"{row.name_zh}（{industry_code}）划型需要{_METRIC_ZH[m]} {m}，但未提供 / "
                f"size class for {row.key} ({industry_code}) needs {m}, which is missing",
                field=m,
                industry_code=industry_code,
            )
    for cls in (SizeClass.LARGE, SizeClass.MEDIUM, SizeClass.SMALL):
        if all(figures[m] >= bound for m, bound in row.bounds[cls].items()):  # type: ignore[operator]
            return cls
    return SizeClass.MICRO
