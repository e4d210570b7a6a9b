"""The rule expression language: a safe subset of SQL, parsed once, run anywhere.

A condition or amount is written as a small SQL expression over the facts of an
applicant (``entity.*``), of the event being judged (``event.*``) and the
provision's dated parameters (``:name``)::

    entity.in_statistics_db AND event.date BETWEEN :window_start AND :window_end

Why SQL: the same text is parsed by sqlglot into one tree. Here that tree is
compiled into Python closures for the single-applicant calculator (fast, no
database round trip); the batch screener hands the same tree to DuckDB or Spark
through sqlglot's dialects. One definition of each rule, many back ends.

Only an allow-list of node types is accepted: no subqueries, no tables, no
functions beyond those below. NULL follows SQL's three-valued logic, so a
missing fact makes a condition *unknown* (None), which explanations report as
missing information rather than a failure.

>>> e = compile_expr("LEAST(:rate * event.spend, :cap)", params={"rate", "cap"})
>>> e.evaluate({}, {"spend": Decimal("2000000")}, {"rate": Decimal("0.30"), "cap": Decimal("500000")})
Decimal('500000')
>>> compile_expr("event.x > 1 OR entity.y").columns
(('entity', 'y'), ('event', 'x'))
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, Callable

import sqlglot
from sqlglot import expressions as E
from sqlglot.errors import ParseError

Row = dict[str, Any]
Fn = Callable[[Row, Row, Row], Any]
NAMESPACES = ("entity", "event")


class ExprError(ValueError):
    """An expression uses something outside the allowed subset, or does not parse."""


@dataclass(frozen=True)
class CompiledExpr:
    source: str
    tree: E.Expression
    fn: Fn
    columns: tuple[tuple[str, str], ...]  # (namespace, column) it reads
    params: tuple[str, ...]

    def evaluate(self, entity: Row, event: Row, params: Row) -> Any:
        return self.fn(entity, event, params)


def _num(v: Any) -> Any:
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (int, float)):
        return Decimal(str(v))
    return v


def _and(fs: list[Fn]) -> Fn:
    def f(en: Row, ev: Row, p: Row) -> Any:
        unknown = False
        for g in fs:
            v = g(en, ev, p)
            if v is False:
                return False
            if v is None:
                unknown = True
        return None if unknown else True

    return f


def _or(fs: list[Fn]) -> Fn:
    def f(en: Row, ev: Row, p: Row) -> Any:
        unknown = False
        for g in fs:
            v = g(en, ev, p)
            if v is True:
                return True
            if v is None:
                unknown = True
        return None if unknown else False

    return f


def _flatten(node: E.Expression, kind: type) -> list[E.Expression]:
    if isinstance(node, kind):
        return _flatten(node.this, kind) + _flatten(node.expression, kind)
    return [node]


def _binary(op: Callable[[Any, Any], Any], a: Fn, b: Fn) -> Fn:
    def f(en: Row, ev: Row, p: Row) -> Any:
        x = a(en, ev, p)
        if x is None:
            return None
        y = b(en, ev, p)
        if y is None:
            return None
        return op(x, y)

    return f


_COMPARE = {
    E.EQ: lambda x, y: x == y,
    E.NEQ: lambda x, y: x != y,
    E.GT: lambda x, y: x > y,
    E.GTE: lambda x, y: x >= y,
    E.LT: lambda x, y: x < y,
    E.LTE: lambda x, y: x <= y,
    E.Add: lambda x, y: x + y,
    E.Sub: lambda x, y: x - y,
    E.Mul: lambda x, y: x * y,
    E.Div: lambda x, y: x / y,
}


class _Compiler:
    def __init__(self, params: set[str] | None):
        self.allowed_params = params
        self.columns: set[tuple[str, str]] = set()
        self.params: set[str] = set()

    def compile(self, node: E.Expression) -> Fn:  # noqa: C901 - a dispatch table in disguise
        if isinstance(node, E.Paren):
            return self.compile(node.this)
        if isinstance(node, E.And):
            return _and([self.compile(n) for n in _flatten(node, E.And)])
        if isinstance(node, E.Or):
            return _or([self.compile(n) for n in _flatten(node, E.Or)])
        if isinstance(node, E.Not):
            inner = self.compile(node.this)
            return lambda en, ev, p: None if (v := inner(en, ev, p)) is None else not v
        if type(node) in _COMPARE:
            return _binary(_COMPARE[type(node)], self.compile(node.this), self.compile(node.expression))
        if isinstance(node, E.Neg):
            inner = self.compile(node.this)
            return lambda en, ev, p: None if (v := inner(en, ev, p)) is None else -v
        if isinstance(node, E.Column):
            return self._column(node)
        if isinstance(node, E.Placeholder):
            return self._param(node.name)
        if isinstance(node, E.Literal):
            value: Any = node.this if node.is_string else Decimal(node.this)
            return lambda en, ev, p: value
        if isinstance(node, E.Boolean):
            b = bool(node.this)
            return lambda en, ev, p: b
        if isinstance(node, E.Null):
            return lambda en, ev, p: None
        if isinstance(node, E.Cast) and node.to.this == E.DataType.Type.DATE and isinstance(node.this, E.Literal):
            try:
                day = dt.date.fromisoformat(node.this.this)
            except ValueError as e:
                raise ExprError(f"not a date: {node.this.this}") from e
            return lambda en, ev, p: day
        if isinstance(node, E.Between):
            return _and_between(self.compile(node.this), self.compile(node.args["low"]), self.compile(node.args["high"]))
        if isinstance(node, E.In):
            if node.args.get("query") or node.args.get("unnest"):
                raise ExprError("IN (subquery) is not allowed")
            target = self.compile(node.this)
            options = [self.compile(n) for n in node.expressions]
            return _in(target, options)
        if isinstance(node, E.Is):
            if not isinstance(node.expression, E.Null):
                raise ExprError("only IS NULL / IS NOT NULL are allowed")
            inner = self.compile(node.this)
            return lambda en, ev, p: inner(en, ev, p) is None
        if isinstance(node, (E.Least, E.Greatest)):
            fs = [self.compile(node.this)] + [self.compile(n) for n in node.expressions]
            pick = min if isinstance(node, E.Least) else max
            return _nullskip(fs, pick)
        if isinstance(node, E.Coalesce):
            fs = [self.compile(node.this)] + [self.compile(n) for n in node.expressions]
            return _coalesce(fs)
        if isinstance(node, E.Case):
            return self._case(node)
        if isinstance(node, E.Year):
            inner = self.compile(node.this)
            return lambda en, ev, p: None if (v := inner(en, ev, p)) is None else Decimal(v.year)
        raise ExprError(f"'{node.sql()}' uses {type(node).__name__}, which rules may not use")

    def _column(self, node: E.Column) -> Fn:
        ns, name = node.table, node.name
        if ns not in NAMESPACES or node.args.get("db"):
            raise ExprError(f"column '{node.sql()}' must be entity.<name> or event.<name>")
        self.columns.add((ns, name))
        if ns == "entity":
            return lambda en, ev, p: _num(en.get(name))
        return lambda en, ev, p: _num(ev.get(name))

    def _param(self, name: str) -> Fn:
        if self.allowed_params is not None and name not in self.allowed_params:
            raise ExprError(f"unknown parameter ':{name}'")
        self.params.add(name)
        return lambda en, ev, p: p.get(name)

    def _case(self, node: E.Case) -> Fn:
        if node.this is not None:
            raise ExprError("write CASE WHEN cond THEN … (searched CASE only)")
        arms = [(self.compile(i.this), self.compile(i.args["true"])) for i in node.args["ifs"]]
        default = self.compile(node.args["default"]) if node.args.get("default") else (lambda en, ev, p: None)

        def f(en: Row, ev: Row, p: Row) -> Any:
            for cond, val in arms:
                if cond(en, ev, p) is True:
                    return val(en, ev, p)
            return default(en, ev, p)

        return f


def _and_between(x: Fn, lo: Fn, hi: Fn) -> Fn:
    def f(en: Row, ev: Row, p: Row) -> Any:
        v, a, b = x(en, ev, p), lo(en, ev, p), hi(en, ev, p)
        if v is None or a is None or b is None:
            return None
        return a <= v <= b

    return f


def _in(target: Fn, options: list[Fn]) -> Fn:
    def f(en: Row, ev: Row, p: Row) -> Any:
        v = target(en, ev, p)
        if v is None:
            return None
        for o in options:
            ov = o(en, ev, p)
            if isinstance(ov, list):  # a text_set parameter
                if v in ov:
                    return True
            elif ov == v:
                return True
        return False

    return f


def _nullskip(fs: list[Fn], pick: Callable) -> Fn:
    def f(en: Row, ev: Row, p: Row) -> Any:
        vals = [v for g in fs if (v := g(en, ev, p)) is not None]
        return pick(vals) if vals else None

    return f


def _coalesce(fs: list[Fn]) -> Fn:
    def f(en: Row, ev: Row, p: Row) -> Any:
        for g in fs:
            v = g(en, ev, p)
            if v is not None:
                return v
        return None

    return f


@lru_cache(maxsize=4096)
def _parse(source: str) -> E.Expression:
    try:
        tree = sqlglot.parse_one(source, read="duckdb")
    except ParseError as e:
        raise ExprError(f"does not parse: {e.errors[0]['description'] if e.errors else e}") from None
    if tree.find(E.Select, E.Subquery, E.Table):
        raise ExprError("subqueries and tables are not allowed")
    return tree


def compile_expr(source: str, params: set[str] | frozenset[str] | None = None) -> CompiledExpr:
    """Parse and compile ``source``; ``params`` (if given) is the set of parameter names it may use."""
    tree = _parse(source)
    c = _Compiler(set(params) if params is not None else None)
    fn = c.compile(tree)
    return CompiledExpr(source, tree, fn, tuple(sorted(c.columns)), tuple(sorted(c.params)))
