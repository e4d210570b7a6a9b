"""The steps across rows, declared once: totals of events, caps across claims, 就高不重复, rounding.

After the gates (:mod:`huiqi.engine.gates`) have decided each candidate row, a policy's results pass
through an ordered list of steps. Each is data (:class:`Step`): which provisions it applies to, which
claims it holds together (``per``), in what order, the parameter holding its limit. Both back-ends
dispatch on :attr:`Step.kind` through a registry — the calculator's
(:data:`huiqi.engine.evaluate.STEP_EXECUTORS`) and the batch compiler's
(:data:`huiqi.batch.compile.STEP_EMITTERS`) — and a test checks the two registries name the same
kinds as :data:`STEP_KINDS`, so a step declared here cannot be carried out by one back-end only.

============  =================================================================================
kind          what it does (in this order)
============  =================================================================================
sum_events    ``aggregate: sum`` — a provision's qualifying events paid once on their total,
              rounded once; the merged row's key from :data:`huiqi.engine.gates.MERGE_GATES`
round_once    ``cap_period: per_year`` on events (算力券 按实际支出费用给予30%补助，每年…) — the claims
              sharing ``per`` (entity, provision, year) are paid on their exact total, rounded once:
              in ``order``, each claim gets :func:`share_fen`, fen(total up to it) − fen(total
              before it), so splitting a spend never pays more than claiming it at once
cap           a ceiling in fen (the parameter ``limit``, e.g. 每家企业每年最高 ``cap``) held across
              the claims that share ``per`` (entity, provision, year of the decision date),
              taken in ``order``: each claim gets what room is left
first_only    a one-off award (``cap_period: once``): only the first claim sharing ``per`` is paid
overlap       就高不重复: support already received for the same matter (``other_support``) is
              deducted — the city pays ``max(0, ours − received)`` under either strategy
============  =================================================================================

An amount a step lowers gets the key ``<status>:<name>`` (brought to nothing: ``not_eligible:<name>``,
:func:`huiqi.engine.gates.adjusted_key`). Money is rounded by one rule, :data:`MONEY`: half up
(四舍五入) to the fen — :func:`to_fen` for the calculator, :func:`fen_sql` for the query — once per amount
the text states: a total of events, or a year's claims (:func:`share_fen`, :func:`share_sql`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Literal, Sequence

from sqlglot import exp

StepKind = Literal["sum_events", "round_once", "cap", "first_only", "overlap"]
STEP_KINDS: tuple[StepKind, ...] = ("sum_events", "round_once", "cap", "first_only", "overlap")  # also the order they run in
Partition = Literal["entity", "provision", "year"]
OrderBy = Literal["decision_date", "event_id"]


# -- rounding ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rounding:
    """Yuan to integer fen: ``places`` decimals of a yuan kept, ties away from zero (四舍五入; the same as
    half up on amounts ≥ 0, and the same as DuckDB's and Spark's ``ROUND`` on decimals)."""

    places: int = 2

    @property
    def factor(self) -> int:
        return 10 ** self.places


MONEY = Rounding()


_SCALE = Decimal(MONEY.factor)
_WHOLE = Decimal(1)
_HALF_UP = Context(rounding=ROUND_HALF_UP)  # the default context's precision and traps, rounding half up


def to_fen(yuan: Decimal) -> int:
    """Exact yuan → integer fen by :data:`MONEY` (the calculator's side)."""
    return int(_HALF_UP.quantize(yuan * _SCALE, _WHOLE))  # = (yuan × 100).quantize(1, ROUND_HALF_UP)


def fen_sql(yuan: exp.Expression) -> exp.Expression:
    """Exact yuan → integer fen by :data:`MONEY` (the query's side)."""
    scaled = exp.Mul(this=exp.paren(yuan, copy=False), expression=exp.Literal.number(MONEY.factor))  # (a − b) * 100
    return exp.Cast(this=exp.Round(this=scaled), to=exp.DataType.build("BIGINT"))


def share_fen(before: Decimal, exact: Decimal) -> int:
    """A claim's part of a total rounded once: fen(total up to it) − fen(total before it), exact until then.

    The parts of a partition add up to ``to_fen(total)`` whatever the split; each is within one fen of the
    claim's own rounding (the calculator's side of ``round_once``)."""
    return to_fen(before + exact) - to_fen(before)


def share_sql(running: exp.Expression, exact: exp.Expression) -> exp.Expression:
    """:func:`share_fen` in SQL, ``running`` being the exact running total including the claim."""
    return exp.Sub(this=fen_sql(running), expression=fen_sql(exp.Sub(this=running.copy(), expression=exact)))


# -- the steps ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step across rows (see the module's table). ``provisions`` is filled in by :func:`pipeline`."""

    kind: StepKind
    name: str = ""  # the adjustment's name in keys and explanations: year_total, annual_cap, once, overlap_<strategy>
    per: tuple[Partition, ...] = ()  # round_once, cap, first_only: the claims held together
    order: tuple[OrderBy, ...] = ()  # round_once, cap, first_only: the order claims are taken in (a missing event id first)
    limit: str | None = None  # cap: the parameter whose value (yuan, on the decision date) is the ceiling
    statuses: tuple[str, ...] = ("eligible",)  # the results the step changes (with an amount)
    strategy: str | None = None  # overlap: the strategy named in the explanation
    provisions: frozenset[str] = frozenset()


CLAIM_ORDER: tuple[OrderBy, ...] = ("decision_date", "event_id")
SUM_EVENTS = Step("sum_events")
YEAR_TOTAL = Step("round_once", name="year_total", per=("entity", "provision", "year"), order=CLAIM_ORDER)
YEAR_CAP = Step("cap", name="annual_cap", per=("entity", "provision", "year"), order=CLAIM_ORDER, limit="cap")
ONCE = Step("first_only", name="once", per=("entity", "provision"), order=CLAIM_ORDER)


def overlap(strategy: str) -> Step:
    """就高不重复 under ``strategy``: a ceiling carried by a referral is lowered the same way as an amount."""
    return Step("overlap", name=f"overlap_{strategy}", statuses=("eligible", "referral"), strategy=strategy)


def provision_steps(aggregate: str | None, cap_period: str | None, parameters: Sequence[str], subject: str) -> tuple[Step, ...]:
    """The steps a provision takes part in, from its measure file (``aggregate``, ``cap_period``).

    A share paid per year on events (每年…) is computed on the year's total, rounded once (``round_once``),
    before its yearly ceiling; a provision already paid on the total of its events needs no second rounding.
    """
    out: list[Step] = []
    if aggregate == "sum":
        out.append(SUM_EVENTS)
    elif cap_period == "per_year" and subject != "entity":
        out.append(YEAR_TOTAL)
    if cap_period == "per_year" and YEAR_CAP.limit in parameters:
        out.append(YEAR_CAP)
    elif cap_period == "once" and subject != "entity":
        out.append(ONCE)
    return tuple(out)


_PIPELINES: dict[tuple[int, str], tuple[object, tuple[Step, ...]]] = {}


def pipeline(plans, strategy: str) -> tuple[Step, ...]:
    """The policy's steps in order (:data:`STEP_KINDS`), each with the provisions it applies to.

    A step that applies to no provision is left out; 就高不重复 applies to every provision. Cached per
    compiled plan (:func:`huiqi.engine.plan.plan_for` keeps one per policy version) and strategy.
    """
    key = (id(plans), strategy)
    hit = _PIPELINES.get(key)
    if hit is not None and hit[0] is plans:
        return hit[1]
    if len(_PIPELINES) > 64:
        _PIPELINES.clear()
    out = _pipeline(plans, strategy)
    _PIPELINES[key] = (plans, out)
    return out


def _pipeline(plans, strategy: str) -> tuple[Step, ...]:
    members: dict[Step, list[str]] = {}
    for pl in plans:
        for s in pl.steps:
            members.setdefault(s, []).append(pl.provision.id)
    members[overlap(strategy)] = [pl.provision.id for pl in plans]
    ordered = sorted(members, key=lambda s: STEP_KINDS.index(s.kind))  # stable: first declared first
    return tuple(replace(s, provisions=frozenset(members[s])) for s in ordered)
