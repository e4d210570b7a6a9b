"""The decision pipeline, declared once: ordered gates that both back-ends interpret.

A provision's candidate row (the applicant, or one event of its list) is decided by the first gate
whose test holds, in this order:

====================  ==============================  =================================================
gate                  explanation_key                 test
====================  ==============================  =================================================
``future_event``      ``not_eligible:future_event``   the event's date is after the as-of date (events only)
``expired``           ``expired``                     the decision date is after the policy's last day
``not_yet``           ``not_eligible:not_yet``        the decision date is before the policy took effect
``failed``            ``not_eligible:failed:<id>``    a checkable condition is FALSE (one gate each, in order)
``referral``          ``referral``                    always — for a referral that carries no ceiling
``missing``           ``not_eligible:missing:<id>``   a checkable condition is unknown (NULL)
``referral``          ``referral``                    always — a ceiling left to assessment, once no fact is missing
``eligible``          ``eligible``                    always
====================  ==============================  =================================================

The gates are data (:class:`Gate`, with a tiny test language :class:`Test`) built once per provision
by :func:`gates_for` and kept in the compiled plan (``ProvisionPlan.gates``). :func:`holds` is their
reading; the calculator lays each provision's list out once by position (``huiqi.engine.evaluate._Judge``:
a test's dates and condition by index, read per row without names) and tests/test_gates_reference.py checks
every row it decides against :func:`holds`; the batch compiler
(:mod:`huiqi.batch.compile`) turns the same list into its ``CASE`` with :func:`status_case`
(sqlglot expression builders, printed in any dialect). Which gates carry the formula's amount is
the gates' ``carries_amount`` flag, read by both.

After the candidates come the steps across rows (a total of events, a yearly cap, a one-off award,
就高不重复), declared in :mod:`huiqi.engine.steps`; the keys of a total of events are
:data:`MERGE_GATES`; an amount a step lowers gets its key from :func:`adjusted_key` /
:func:`adjusted_key_sql` (brought to nothing, it is ``not_eligible``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal, Sequence

from sqlglot import exp

DateName = Literal["event_date", "day", "as_of", "in_force_start", "in_force_end"]


@dataclass(frozen=True)
class Test:
    """A gate's test. ``op``:

    - ``after`` / ``before``: date ``left`` is strictly after / before date ``right``;
    - ``is_false`` / ``is_null``: the checkable condition number ``condition`` is FALSE / unknown;
    - ``always``.
    """

    op: Literal["after", "before", "is_false", "is_null", "always"]
    left: DateName | None = None
    right: DateName | None = None
    condition: int | None = None  # index into ProvisionPlan.conditions


ALWAYS = Test("always")


@dataclass(frozen=True)
class Gate:
    kind: Literal["future_event", "expired", "not_yet", "failed", "referral", "missing", "eligible"]
    status: Literal["eligible", "not_eligible", "referral", "expired"]
    key: str  # explanation_key
    test: Test
    carries_amount: bool = False  # the result carries the formula's amount (eligible; a referral's ceiling)


def gates_for(conditions: Sequence[Any], on_event: bool, referral: bool, ceiling: bool) -> tuple[Gate, ...]:
    """The ordered gates of one provision.

    ``conditions``: the plan's ConditionPlans (``.condition.id``, ``.test`` None when only the department can
    check it); ``referral``: the provision is a referral once its checkable conditions hold; ``ceiling``: that
    referral carries a ceiling (``amount_by_assessment``) and is only made once no fact is missing.
    """
    out: list[Gate] = []
    if on_event:
        out.append(Gate("future_event", "not_eligible", "not_eligible:future_event", Test("after", "event_date", "as_of")))
    out.append(Gate("expired", "expired", "expired", Test("after", "day", "in_force_end")))
    out.append(Gate("not_yet", "not_eligible", "not_eligible:not_yet", Test("before", "day", "in_force_start")))
    checkable = [(i, cp.condition.id) for i, cp in enumerate(conditions) if cp.test is not None]
    out += [Gate("failed", "not_eligible", f"not_eligible:failed:{cid}", Test("is_false", condition=i)) for i, cid in checkable]
    missing = [Gate("missing", "not_eligible", f"not_eligible:missing:{cid}", Test("is_null", condition=i))
               for i, cid in checkable]
    if referral and not ceiling:
        out.append(Gate("referral", "referral", "referral", ALWAYS, carries_amount=True))
        return tuple(out)  # the gates after an ``always`` are never reached
    out += missing
    if referral:
        out.append(Gate("referral", "referral", "referral", ALWAYS, carries_amount=True))
    else:
        out.append(Gate("eligible", "eligible", "eligible", ALWAYS, carries_amount=True))
    return tuple(out)


# -- the calculator's interpreter -------------------------------------------------------------


def holds(test: Test, dates: dict[str, dt.date | None], truth: Sequence[bool | None] | None) -> bool:
    """Whether ``test`` holds for one candidate: ``dates`` by name, ``truth`` each condition's value (None: unknown)."""
    op = test.op
    if op == "always":
        return True
    if op == "after":
        return dates[test.left] > dates[test.right]
    if op == "before":
        return dates[test.left] < dates[test.right]
    value = truth[test.condition]
    return value is False if op == "is_false" else value is None


# -- the batch compiler's emitter -------------------------------------------------------------


def test_sql(test: Test, dates: dict[str, exp.Expression], conditions: dict[int, exp.Expression]) -> exp.Expression:
    """``test`` as a SQL boolean: ``dates`` by name, ``conditions`` each checkable condition's SQL."""
    if test.op == "always":
        return exp.true()
    if test.op in ("after", "before"):
        cls = exp.GT if test.op == "after" else exp.LT
        return cls(this=dates[test.left].copy(), expression=dates[test.right].copy())
    cond = exp.paren(conditions[test.condition].copy(), copy=False)
    if test.op == "is_false":
        return exp.EQ(this=cond, expression=exp.false())
    return exp.Is(this=cond, expression=exp.null())


def status_case(gates: Sequence[Gate], dates: dict[str, exp.Expression],
                conditions: dict[int, exp.Expression]) -> exp.Expression:
    """The gates as one ``CASE`` yielding the explanation key (the first gate that holds decides)."""
    case = exp.Case()
    for g in gates:
        if g.test.op == "always":
            return case.else_(exp.Literal.string(g.key)) if case.args.get("ifs") else exp.Literal.string(g.key)
        case = case.when(test_sql(g.test, dates, conditions), exp.Literal.string(g.key))
    return case


def amount_keys(gates: Sequence[Gate]) -> tuple[str, ...]:
    """The keys whose results carry the formula's amount."""
    return tuple(dict.fromkeys(g.key for g in gates if g.carries_amount))


def status_of(key: str) -> str:
    """The status an explanation key stands for (``not_eligible:failed:x`` → ``not_eligible``)."""
    return key.split(":", 1)[0]


def status_of_sql(key: exp.Expression) -> exp.Expression:
    return exp.func("split_part", key, exp.Literal.string(":"), exp.Literal.number(1))


# -- steps across rows -------------------------------------------------------------------------

# A provision paid on the total of its events (``aggregate: sum``): the merged row's key, first that holds.
# ``any``/``all``: any / every event row has that key.
MERGE_GATES: tuple[tuple[str, Literal["any", "all", "always"], str | None], ...] = (
    ("eligible", "any", "eligible"),
    ("expired", "all", "expired"),
    ("not_eligible:none_counted", "always", None),
)


def merged_key(keys: Sequence[str]) -> str:
    for key, quantifier, of in MERGE_GATES:
        if quantifier == "always" or (quantifier == "any" and of in keys) or (quantifier == "all" and all(k == of for k in keys)):
            return key
    raise AssertionError("MERGE_GATES ends with 'always'")


def merged_key_sql(key_column: exp.Expression) -> exp.Expression:
    case = exp.Case()
    for key, quantifier, of in MERGE_GATES:
        if quantifier == "always":
            return case.else_(exp.Literal.string(key))
        same = exp.EQ(this=key_column.copy(), expression=exp.Literal.string(of))
        case = case.when(exp.func("bool_or" if quantifier == "any" else "bool_and", same), exp.Literal.string(key))
    return case


def adjusted_key(status: str, amount_fen: int, step: str) -> str:
    """The key of a result whose amount a step (``annual_cap``, ``once``, ``overlap_<strategy>``) changed:
    brought to nothing it is not eligible."""
    return f"{status if amount_fen > 0 else 'not_eligible'}:{step}"


def adjusted_key_sql(status: exp.Expression, amount_fen: exp.Expression, step: str) -> exp.Expression:
    positive = exp.GT(this=amount_fen.copy(), expression=exp.Literal.number(0))
    kept = exp.Case().when(positive, status.copy()).else_(exp.Literal.string("not_eligible"))
    return exp.DPipe(this=kept, expression=exp.Literal.string(f":{step}"), safe=True)
