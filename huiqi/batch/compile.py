"""Compile the policy's rule plan into one SQL query that screens a whole registry.

The conditions and amounts are the very sqlglot trees the calculator compiles to Python
(:mod:`huiqi.engine.plan`); here they are rewritten for a table of entities and events and
printed in a SQL dialect — DuckDB by default, Spark through sqlglot's Spark dialect. Nothing
about a rule is written twice: a change to a measure file changes both paths.

The query mirrors :func:`huiqi.engine.evaluate.evaluate` one for one, and produces the same
``explanation_key`` for every row:

1. candidates (``cand_all``) — one scan per subject table, each provision a column, the kept ones
   unpivoted (:func:`subject_select`); the status is a CASE emitted from the plan's gates
   (:mod:`huiqi.engine.gates`, the list the calculator walks), the amount is kept for the keys whose
   gate carries it and rounded to the fen by the one rule (:func:`huiqi.engine.steps.fen_sql`);
2. the steps across rows, declared once in :mod:`huiqi.engine.steps` (a total of events, a yearly
   cap, a one-off award, 就高不重复): one common table expression or two per declared step, built by
   the step kind's emitter in :data:`STEP_EMITTERS` — the calculator runs the same steps through
   :data:`huiqi.engine.evaluate.STEP_EXECUTORS`. Only the rows a step may take go through them
   (:func:`_live`: a row with an amount, an event of a total); the settled rest — most rows, the
   not-eligible events — goes straight to the end (:func:`_live_through_steps`).

Everything is built with sqlglot's expression builders (no SQL text), so ``screen_sql(dialect=…)``
prints the same tree for DuckDB or Spark.

Which rows a batch keeps is :func:`batch_visible` — every event row, and entity rows whose
provision reads a fact and that are not "not eligible" (10 million entities × 60 blanket
referrals would be 600 million rows saying nothing).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlglot import exp

from huiqi.engine import gates, steps
from huiqi.engine.evaluate import CLAIMANT_KINDS
from huiqi.engine.plan import ProvisionPlan, plan_for
from huiqi.rules.loader import Policy
from huiqi.rules.model import Unit

DIVISION_PLACES = 8  # decimals kept after a division (DuckDB would otherwise go to DOUBLE)
# The columns of a row between the steps: a candidate's, then each step's (huiqi.engine.steps).
ROW = ("provision_id", "measure_id", "entity_id", "district", "event_id", "decision_date", "explanation_key",
       "exact_yuan", "cap_yuan", "formula_fen", "amount_fen")


def batch_visible(result: Any, plan: ProvisionPlan, referral_rows: bool = True) -> bool:
    """Whether a per-applicant result appears in a batch screen (the SQL filter says the same).

    With ``referral_rows=False`` (the default of ``huiqi screen``) a referral judged on the applicant
    itself is counted per provision and district (``referral_counts``) instead of written per entity.
    """
    if plan.provision.subject != "entity":
        return result.explanation_key not in ("not_eligible:claimant", "not_eligible:no_events")
    if not referral_rows and result.status == "referral":
        return False
    return not plan.reads_no_facts and result.status != "not_eligible"


# -- expressions -----------------------------------------------------------------------------


def _literal(value: Any) -> exp.Expression:
    if isinstance(value, exp.Expression):  # the as-of date's placeholder (AS_OF)
        return value.copy()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, Decimal):
        return exp.Literal.number(format(value, "f"))
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))
    if isinstance(value, list):
        return exp.Array(expressions=[exp.Literal.string(v) for v in value])
    if isinstance(value, str):
        return exp.Literal.string(value)
    if value is None:
        return exp.Null()
    raise TypeError(f"cannot put {value!r} in SQL")


def _param_sql(plan: ProvisionPlan, name: str, day: exp.Expression, as_of: dt.date) -> exp.Expression:
    if name == "as_of":
        return _literal(as_of)
    if name == "in_force_start":
        return _literal(plan.period.start)
    if name == "in_force_end":
        return _literal(plan.period.end)
    param = plan.provision.parameters[name]
    case = exp.Case()
    for v in param.values:
        lo = exp.GTE(this=day.copy(), expression=_literal(v.start))
        cond = lo if v.end is None else exp.and_(lo, exp.LTE(this=day.copy(), expression=_literal(v.end)))
        case = case.when(cond, _literal(v.value))
    return case


def _rewrite(tree: exp.Expression, plan: ProvisionPlan, day: exp.Expression, as_of: dt.date) -> exp.Expression:
    text_sets = {n for n, p in plan.provision.parameters.items() if p.unit is Unit.text_set}

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.table in ("entity", "event"):
            return exp.column(node.name, table="e" if node.table == "entity" else "ev")
        if isinstance(node, exp.In) and len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Placeholder) \
                and node.expressions[0].name in text_sets:
            return exp.ArrayContains(this=_param_sql(plan, node.expressions[0].name, day, as_of),
                                     expression=node.this.copy().transform(fix))
        if isinstance(node, exp.Placeholder):
            return _param_sql(plan, node.name, day, as_of)
        if isinstance(node, exp.Div):
            node = exp.Div(this=node.this.copy().transform(fix), expression=node.expression.copy().transform(fix))
            return exp.cast(exp.Round(this=node, decimals=exp.Literal.number(DIVISION_PLACES)),
                            exp.DataType.build(f"DECIMAL(38,{DIVISION_PLACES})"))
        return node

    return tree.copy().transform(fix)


def _string(value: str) -> exp.Expression:
    return exp.Literal.string(value)


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table)


_TYPES: dict[str, exp.DataType] = {}


def _cast(e: exp.Expression, to: str) -> exp.Expression:
    t = _TYPES.get(to)
    if t is None:
        t = _TYPES[to] = exp.DataType.build(to)
    return exp.Cast(this=e, to=t.copy())


def _as(e: exp.Expression, name: str) -> exp.Expression:
    return exp.alias_(e, name, copy=False)


def _table(name: str, alias: str) -> exp.Expression:
    return exp.alias_(exp.to_table(name), alias, table=True, copy=False)


def _in(e: exp.Expression, values) -> exp.Expression:
    return exp.In(this=e, expressions=[_string(v) for v in values])


# -- step 1: candidates ----------------------------------------------------------------------


def _candidates(plan: ProvisionPlan, as_of: dt.date) -> exp.Select:
    """One provision's candidate rows with the key its gates decide (:func:`huiqi.engine.gates.status_case`)."""
    p = plan.provision
    on_event = p.subject != "entity"
    dated_by = p.dated_by or ("event" if on_event else "as_of")
    day = _col("date", "ev") if dated_by == "event" and on_event else _literal(as_of)
    dates = {"event_date": _col("date", "ev"), "day": day, "as_of": _literal(as_of),
             "in_force_start": _literal(plan.period.start), "in_force_end": _literal(plan.period.end)}
    conditions = {i: _rewrite(cp.test.tree, plan, day, as_of) for i, cp in enumerate(plan.conditions) if cp.test}
    status = gates.status_case(plan.gates, dates, conditions)
    amount: exp.Expression = exp.Null()
    if plan.amount is not None:
        amount = exp.Greatest(this=_cast(_rewrite(plan.amount.tree, plan, day, as_of), f"DECIMAL(38,{DIVISION_PLACES})"),
                              expressions=[exp.Literal.number(0)])
    cap: exp.Expression = exp.Null()
    cap_step = plan.step("cap")
    if cap_step is not None:
        cap = _param_sql(plan, cap_step.limit, day, as_of)
    select = exp.Select(expressions=[
        _as(_string(p.id), "provision_id"), _as(_string(plan.measure.id), "measure_id"),
        _col("entity_id", "e"), _col("district", "e"),
        _as(_col("id", "ev") if on_event else _cast(exp.Null(), "VARCHAR"), "event_id"),
        _as(day.copy(), "decision_date"), _as(status, "explanation_key"),
        _as(amount, "amount_expr"), _as(_cast(cap, "DECIMAL(18,2)"), "cap_yuan"),
    ]).from_(_table("entities_f", "e"), copy=False)
    if on_event:
        select = select.join(_table(f"ev_{p.subject}", "ev"), copy=False,
                             on=exp.EQ(this=_col("entity_id", "ev"), expression=_col("entity_id", "e")))
    return select.where(_in(_col("kind", "e"), sorted(k.value for k in CLAIMANT_KINDS[p.claimant])), copy=False)


def provision_select(plan: ProvisionPlan, as_of: dt.date, referral_rows: bool = True,
                     counts_only: bool = False) -> exp.Select | None:
    """One provision's candidate rows (ROW but ``amount_fen``, which starts as ``formula_fen``), or None where
    no applicant kind may claim it (a sqlglot tree).

    ``counts_only``: only the provision's entity-level referrals, to be counted by district
    (:func:`referral_counts_sql`).
    """
    p = plan.provision
    if not CLAIMANT_KINDS[p.claimant]:
        return None
    on_event = p.subject != "entity"
    if (on_event and counts_only) or (not on_event and plan.reads_no_facts):
        return None
    inner = _candidates(plan, as_of).subquery("c", copy=False)
    key = _col("explanation_key")
    carried = exp.Case().when(_in(key.copy(), gates.amount_keys(plan.gates)), _col("amount_expr"), copy=False)
    fen = steps.fen_sql(carried.copy())
    select = exp.Select(expressions=[*[_col(c) for c in ROW[:7]], _as(carried, "exact_yuan"), _col("cap_yuan"),
                                     _as(fen, "formula_fen")]).from_(inner, copy=False)
    if counts_only:  # its referrals, through the same steps (就高不重复 may cover a ceiling), then counted
        return select.where(exp.EQ(this=key.copy(), expression=_string("referral")), copy=False)
    if not on_event:
        keep = exp.not_(exp.Like(this=key.copy(), expression=_string("not_eligible%")), copy=False)
        if not referral_rows:
            keep = exp.and_(keep, exp.NEQ(this=key.copy(), expression=_string("referral")), copy=False)
        select = select.where(keep, copy=False)
    return select


def subject_select(group: list[ProvisionPlan], as_of, referral_rows: bool = True,
                   applicants: str = "entities_f") -> exp.Select:
    """The candidate rows of every provision in ``group`` (one subject table: the applicant, or one list of
    events) from **one** scan of it, joined once to the applicant: each provision's key, amount and ceiling
    are columns of one row, and the rows that keep any key are unpivoted (a struct per provision, exploded).
    The same columns as :func:`provision_select`, the same values: each column is that provision's candidate
    expression. The applicant's own not-eligible rows (and referrals, unless ``referral_rows``) are dropped
    before the unpivot, as :func:`provision_select` drops them. ``applicants``: the table an event list is
    joined to (:data:`WITH_EVENTS`, the applicants that have events, is smaller than ``entities_f``).
    """
    subject = group[0].provision.subject
    on_event = subject != "entity"
    every_kind = sorted({k.value for pl in group for k in CLAIMANT_KINDS[pl.provision.claimant]})
    names = ("provision_id", "measure_id", "decision_date", "explanation_key", "exact_yuan", "cap_yuan")
    columns, structs = [], []
    for i, pl in enumerate(group):
        c = {x.alias_or_name: x.this for x in _candidates(pl, as_of).expressions}
        key = c["explanation_key"]
        kinds = sorted(k.value for k in CLAIMANT_KINDS[pl.provision.claimant])
        kept = [] if kinds == every_kind else [_in(_col("kind", "e"), kinds)]
        if not on_event:  # as provision_select: the applicant's own not-eligible rows (and referrals) say nothing
            kept.append(exp.not_(exp.Like(this=key.copy(), expression=_string("not_eligible%"))))
            if not referral_rows:
                kept.append(exp.NEQ(this=key.copy(), expression=_string("referral")))
        if kept:
            key = exp.Case().when(exp.and_(*kept), key, copy=False)
        carried = exp.Case().when(_in(c["explanation_key"].copy(), gates.amount_keys(pl.gates)), c["amount_expr"], copy=False)
        values = {"provision_id": c["provision_id"], "measure_id": c["measure_id"],
                  "decision_date": _cast(c["decision_date"], "DATE"), "explanation_key": _cast(key, "VARCHAR"),
                  "exact_yuan": _cast(carried, f"DECIMAL(38,{DIVISION_PLACES})"), "cap_yuan": c["cap_yuan"]}
        if len(group) == 1:
            columns += [_as(values[n], n) for n in names]
        else:  # the constant fields go straight into the struct; the others are columns of the wide row
            columns += [_as(values[n], f"{n}_{i}") for n in names[2:]]
            structs.append(exp.Struct(expressions=[exp.PropertyEQ(
                this=exp.to_identifier(n), expression=values[n] if n in names[:2] else _col(f"{n}_{i}")) for n in names]))
    ids = [_col("entity_id", "e"), _col("district", "e"),
           _as(_col("id", "ev") if on_event else _cast(exp.Null(), "VARCHAR"), "event_id")]
    wide = exp.Select(expressions=[*ids, *columns]).from_(_table(applicants if on_event else "entities_f", "e"), copy=False)
    if on_event:
        wide = wide.join(_table(f"ev_{subject}", "ev"), copy=False,
                         on=exp.EQ(this=_col("entity_id", "ev"), expression=_col("entity_id", "e")))
    wide = wide.where(_in(_col("kind", "e"), every_kind), copy=False)
    base = [_col("entity_id"), _col("district"), _col("event_id")]
    if len(group) == 1:
        def field(name: str) -> exp.Expression:
            return _col(name)
        rows = wide.subquery("w", copy=False)
    else:
        def field(name: str) -> exp.Expression:
            return exp.Dot(this=_col("s"), expression=exp.to_identifier(name))
        any_key = exp.or_(*[exp.not_(exp.Is(this=_col(f"explanation_key_{i}"), expression=exp.Null()))
                            for i in range(len(group))])
        rows = (exp.Select(expressions=[*base, _as(exp.Explode(this=exp.Array(expressions=structs)), "s")])
                .from_(wide.subquery("w", copy=False), copy=False).where(any_key, copy=False).subquery("u", copy=False))
    return (exp.Select(expressions=[*[b.copy() for b in base], *[_as(field(n), n) for n in names],
                                    _as(steps.fen_sql(field("exact_yuan")), "formula_fen")])
            .from_(rows, copy=False).where(exp.not_(exp.Is(this=field("explanation_key"), expression=exp.Null())), copy=False))


WITH_EVENTS = "entities_with_events"


def _with_events(subjects: list[str], columns: list[str]) -> exp.Select:
    """The applicants that have an event in one of the lists ``subjects`` (their ``columns``, those the lists'
    provisions read): each list is joined to these, once (a million applicants, a few hundred thousand with
    events)."""
    ids = _union([exp.Select(expressions=[_col("entity_id")]).from_(exp.to_table(f"ev_{t}"), copy=False) for t in subjects])
    return (exp.Select(expressions=[_col(c) for c in dict.fromkeys(["entity_id", "district", "kind", *columns])])
            .from_(exp.to_table("entities_f"), copy=False)
            .where(exp.In(this=_col("entity_id"), query=exp.Subquery(this=ids)), copy=False))


def candidate_groups(plans, referral_rows: bool = True, stepped: frozenset[str] = frozenset()) -> list[list[ProvisionPlan]]:
    """The provisions that give candidate rows, grouped by subject table (and by whether a step other than
    就高不重复 takes them: those rows go through the steps, the others skip them), in plan order."""
    groups: dict[tuple[str, bool], list[ProvisionPlan]] = {}
    for pl in plans:
        p = pl.provision
        if not CLAIMANT_KINDS[p.claimant] or (p.subject == "entity" and pl.reads_no_facts):
            continue
        groups.setdefault((p.subject, p.id in stepped), []).append(pl)
    return list(groups.values())


def _union(selects: list[exp.Select]) -> exp.Expression:
    tree: exp.Expression = selects[0]
    for s in selects[1:]:
        tree = exp.Union(this=tree, expression=s, distinct=False)
    return tree


# -- the steps across rows (huiqi.engine.steps), one emitter per kind ------------------------------
# Each emitter turns one declared step into common table expressions over the rows of the one before
# (columns ROW), built with sqlglot's builders and printed in any dialect.


def _row(table: str | None = None, **replaced: exp.Expression) -> list[exp.Expression]:
    """The columns of ROW, read from ``table``, some replaced by an expression."""
    return [_as(replaced[c], c) if c in replaced else _col(c, table) for c in ROW]


def _member(column: exp.Expression, ids: frozenset[str], every: frozenset[str]) -> exp.Expression:
    """``column IN ids`` (just TRUE when ``ids`` is every provision of the policy)."""
    return exp.true() if ids >= every else _in(column, sorted(ids))


def _status(key: exp.Expression) -> exp.Expression:
    return gates.status_of_sql(key)


def _held(step: steps.Step, ctx: dict, table: str | None = None) -> exp.Expression:
    """The rows ``step`` changes: its provisions, with a status it applies to and an amount."""
    return exp.and_(_member(_col("provision_id", table), step.provisions, ctx["every"]),
                    _in(_status(_col("explanation_key", table)), step.statuses),
                    exp.not_(exp.Is(this=_col("amount_fen", table), expression=exp.Null())))


def _select(columns, source: str, where: exp.Expression | None = None) -> exp.Select:
    select = exp.Select(expressions=columns).from_(exp.to_table(source), copy=False)
    return select.where(where, copy=False) if where is not None else select


def _sum_events(step: steps.Step, src: str, ctx: dict) -> list[tuple[str, exp.Expression]]:
    """``sum_events``: one row per entity and provision on the total of the eligible events, rounded once,
    dated by the earliest event (as the calculator's merged row)."""
    key = _col("explanation_key")
    ids = _in(_col("provision_id"), sorted(step.provisions))
    total = exp.Filter(this=exp.Sum(this=_col("exact_yuan")),
                       expression=exp.Where(this=exp.EQ(this=key.copy(), expression=_string("eligible"))))
    merged = _select(_row(measure_id=exp.AnyValue(this=_col("measure_id")), district=exp.AnyValue(this=_col("district")),
                          event_id=_cast(exp.Null(), "VARCHAR"), decision_date=exp.Min(this=_col("decision_date")),
                          explanation_key=gates.merged_key_sql(key), exact_yuan=total,
                          cap_yuan=exp.Min(this=_col("cap_yuan")), formula_fen=steps.fen_sql(total.copy()),
                          amount_fen=steps.fen_sql(total.copy())),
                     src, exp.and_(ids.copy(), exp.not_(exp.Is(this=_col("event_id"), expression=exp.Null()))))
    merged = merged.group_by(_col("provision_id"), _col("entity_id"), copy=False)
    rest = _select(_row(), src, exp.not_(exp.and_(ids, exp.not_(exp.Is(this=_col("event_id"), expression=exp.Null())))))
    return [(f"sum_events_{ctx['n']}", exp.Union(this=rest, expression=merged, distinct=False))]


_PARTITION = {"entity": lambda: _col("entity_id"), "provision": lambda: _col("provision_id"),
              "year": lambda: exp.Year(this=_col("decision_date"))}


def _window(fn: exp.Expression, step: steps.Step, running: bool) -> exp.Window:
    """``fn`` over the claims sharing ``step.per``, in ``step.order`` (a missing event id first, as the calculator)."""
    order = exp.Order(expressions=[exp.Ordered(this=_col(o), nulls_first=True) for o in step.order])
    spec = exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW") if running else None
    return exp.Window(this=fn, partition_by=[_PARTITION[p]() for p in step.per], order=order, spec=spec, over="OVER")


def _lowered(src: str, step: steps.Step, ctx: dict, name: str, held: exp.Select, lower: exp.Expression,
             to: exp.Expression) -> list[tuple[str, exp.Expression]]:
    """A step that changes an amount (lowers it; ``round_once`` may also raise a claim's own rounding by a
    fen): ``held`` reads the rows the step changes (all of ROW and the columns the
    step needs); where ``lower`` holds the amount becomes ``to`` — brought to nothing, the row is not eligible
    (:func:`huiqi.engine.gates.adjusted_key_sql`). The other rows pass unchanged."""
    key = _col("explanation_key")
    positive = exp.GT(this=to.copy(), expression=exp.Literal.number(0))
    adjusted = exp.Select(expressions=_row(
        explanation_key=exp.Case().when(lower, gates.adjusted_key_sql(_status(key), to, step.name)).else_(key.copy()),
        amount_fen=exp.Case().when(lower.copy(), exp.Case().when(positive, to.copy())).else_(_col("amount_fen")),
    )).from_(held.subquery("h", copy=False), copy=False)
    rest = _select(_row(), src, exp.not_(_held(step, ctx)))
    return [(name, exp.Union(this=rest, expression=adjusted, distinct=False))]


def _least(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return exp.Least(this=a, expressions=[b], ignore_nulls=True)  # both never NULL where used


def _round_once(step: steps.Step, src: str, ctx: dict) -> list[tuple[str, exp.Expression]]:
    """``round_once``: each claim's part of its partition's exact total rounded once — fen(running exact total)
    − fen(running total before it) (:func:`huiqi.engine.steps.share_sql`), as the calculator's loop."""
    running = _window(exp.Sum(this=_col("exact_yuan")), step, running=True)
    inner = _select([exp.Star(), _as(running, "running_yuan")], src, _held(step, ctx))
    held = exp.Select(expressions=[exp.Star(), _as(steps.share_sql(_col("running_yuan"), _col("exact_yuan")), "share")]
                      ).from_(inner.subquery("w", copy=False), copy=False)
    lower = exp.NEQ(this=_col("share"), expression=_col("amount_fen"))
    return _lowered(src, step, ctx, f"round_once_{ctx['n']}", held, lower, _col("share"))


def _cap(step: steps.Step, src: str, ctx: dict) -> list[tuple[str, exp.Expression]]:
    """``cap``: room = least(running total, ceiling) − least(running total before this claim, ceiling)
    (the closed form of the calculator's loop: what it has paid before a claim is least(running before, ceiling))."""
    running = _window(exp.Sum(this=_col("amount_fen")), step, running=True)
    inner = _select([exp.Star(), _as(running, "running"), _as(steps.fen_sql(_col("cap_yuan")), "limit_fen")], src,
                    _held(step, ctx))
    room = exp.Sub(this=_least(_col("running"), _col("limit_fen")),
                   expression=_least(exp.Sub(this=_col("running"), expression=_col("amount_fen")), _col("limit_fen")))
    held = exp.Select(expressions=[exp.Star(), _as(room, "room")]).from_(inner.subquery("w", copy=False), copy=False)
    lower = exp.LT(this=_col("room"), expression=_col("amount_fen"))
    return _lowered(src, step, ctx, f"cap_{ctx['n']}", held, lower, _col("room"))


def _first_only(step: steps.Step, src: str, ctx: dict) -> list[tuple[str, exp.Expression]]:
    """``first_only``: every claim after the first that shares ``per`` is brought to nothing."""
    held = _select([exp.Star(), _as(_window(exp.RowNumber(), step, running=False), "claim_no")], src, _held(step, ctx))
    lower = exp.GT(this=_col("claim_no"), expression=exp.Literal.number(1))
    return _lowered(src, step, ctx, f"first_only_{ctx['n']}", held, lower, exp.Literal.number(0))


def _overlap(step: steps.Step, src: str, ctx: dict) -> list[tuple[str, exp.Expression]]:
    """就高不重复: everything received for the same matter (support naming the provision and the row's event, or
    no event; for a total of events, any event counted in it) added up; the city pays max(0, ours − received)."""
    a, s_, c = "a", "s", "c"
    same = exp.and_(exp.EQ(this=_col("entity_id", s_), expression=_col("entity_id", a)),
                    exp.EQ(this=_col("provision", s_), expression=_col("provision_id", a)))
    fen = _as(steps.fen_sql(_col("amount", s_)), "fen")
    keys = [_col("entity_id", a), _col("provision_id", a), _col("event_id", a)]
    parts: exp.Expression = (
        exp.Select(expressions=[*[k.copy() for k in keys], fen])
        .from_(_table(src, a), copy=False)
        .join(_table("support", s_), copy=False, on=exp.and_(same, exp.or_(
            exp.Is(this=_col("event_id", s_), expression=exp.Null()),
            exp.EQ(this=_col("event_id", s_), expression=_col("event_id", a)))))
        .where(_held(step, ctx, a), copy=False))
    summed = frozenset().union(*(x.provisions for x in ctx["pipeline"] if x.kind == "sum_events"))
    if summed:  # a total of events: support naming any event counted in it (an eligible candidate row)
        counted = (exp.Select(expressions=[*[k.copy() for k in keys], fen.copy()])
                   .from_(_table(src, a), copy=False)
                   .join(_table("support", s_), on=same.copy(), copy=False)
                   .join(_table("cand", c), copy=False, on=exp.and_(
                       exp.EQ(this=_col("entity_id", c), expression=_col("entity_id", a)),
                       exp.EQ(this=_col("provision_id", c), expression=_col("provision_id", a)),
                       exp.EQ(this=_col("event_id", c), expression=_col("event_id", s_)),
                       exp.EQ(this=_col("explanation_key", c), expression=_string("eligible"))))
                   .where(exp.and_(_in(_col("provision_id", a), sorted(summed)),
                                   exp.Is(this=_col("event_id", a), expression=exp.Null()), _held(step, ctx, a)),
                          copy=False))
        parts = exp.Union(this=parts, expression=counted, distinct=False)
    name = f"overlap_{ctx['n']}"
    received = (exp.Select(expressions=[_col("entity_id"), _col("provision_id"), _col("event_id"),
                                        _as(exp.Sum(this=_col("fen")), "received_fen")])
                .from_(parts.subquery("x", copy=False), copy=False)
                .group_by(_col("entity_id"), _col("provision_id"), _col("event_id"), copy=False))
    r, o = "r", "o"
    paid = exp.Greatest(this=exp.Literal.number(0), ignore_nulls=True,
                        expressions=[exp.Sub(this=_col("amount_fen", r), expression=_col("received_fen", o))])
    held = (exp.Select(expressions=[exp.Column(this=exp.Star(), table=exp.to_identifier(r)), _col("received_fen", o), _as(paid, "paid")])
            .from_(_table(src, r), copy=False)
            .join(_table(f"{name}_received", o), join_type="LEFT", copy=False, on=exp.and_(
                exp.EQ(this=_col("entity_id", o), expression=_col("entity_id", r)),
                exp.EQ(this=_col("provision_id", o), expression=_col("provision_id", r)),
                exp.NullSafeEQ(this=_col("event_id", o), expression=_col("event_id", r))))
            .where(_held(step, ctx, r), copy=False))
    lower = exp.not_(exp.Is(this=_col("received_fen"), expression=exp.Null()))
    return [(f"{name}_received", received), *_lowered(src, step, ctx, name, held, lower, _col("paid"))]


# The batch compiler's side of huiqi.engine.steps: one emitter per step kind (the calculator has its own
# registry, huiqi.engine.evaluate.STEP_EXECUTORS; tests/test_steps.py checks both name every kind).
STEP_EMITTERS = {"sum_events": _sum_events, "round_once": _round_once, "cap": _cap, "first_only": _first_only, "overlap": _overlap}


def _meta(plans) -> exp.Expression:
    """Per provision: whether its amount is a ceiling, its kind and its budget pool."""
    return _union([exp.Select(expressions=[
        _as(_string(pl.provision.id), "provision_id"), _as(exp.Boolean(this=bool(pl.provision.is_cap)), "is_cap"),
        _as(_string(pl.provision.kind.value), "kind"),
        _as(_string(pl.provision.pool) if pl.provision.pool else _cast(exp.Null(), "VARCHAR"), "pool_id"),
    ]) for pl in plans])


def _through_steps(selects: list[exp.Select], plans, pipeline: tuple[steps.Step, ...],
                   plain: list[exp.Select] = ()) -> tuple[list, str]:
    """The common table expressions of the candidates (``selects``, their amount not yet lowered by any step)
    and then each declared step by its emitter, and the last one's name.

    ``plain``: candidates of provisions no step but 就高不重复 takes — they pass the steps unchanged, so they
    join the rows only before the first step that applies to them (the others copy fewer rows).
    """
    def amounts(sel: list[exp.Select]) -> exp.Select:
        return exp.Select(expressions=_row(amount_fen=_col("formula_fen"))).from_(
            _union(sel).subquery("u", copy=False), copy=False)

    ctes: list[tuple[str, exp.Expression]] = []
    if selects:
        ctes.append(("cand", amounts(selects)))
    if plain:
        ctes.append(("plain", amounts(plain)))
    ctx = {"pipeline": pipeline, "every": frozenset(pl.provision.id for pl in plans)}
    last = "cand" if selects else "plain"
    merged = not (selects and plain)
    plain_ids = frozenset(pl.provision.id for pl in plans) - frozenset().union(
        *(s.provisions for s in pipeline if s.kind != "overlap"))
    for n, step in enumerate(pipeline):
        if not merged and step.provisions & plain_ids:
            ctes.append(("cand_all", exp.Union(this=_select([_col(c) for c in ROW], last),
                                               expression=_select([_col(c) for c in ROW], "plain"), distinct=False)))
            last, merged = "cand_all", True
        ctx["n"] = n
        ctes += STEP_EMITTERS[step.kind](step, last, ctx)
        last = ctes[-1][0]
    if not merged:
        ctes.append(("cand_all", exp.Union(this=_select([_col(c) for c in ROW], last),
                                           expression=_select([_col(c) for c in ROW], "plain"), distinct=False)))
        last = "cand_all"
    return ctes, last


def _live(pipeline: tuple[steps.Step, ...]) -> exp.Expression:
    """The candidate rows some step may take (a superset, cheap to test): every event row of a provision paid
    on the total of its events, and every row with an amount (any other step takes only rows with one,
    :func:`_held`). The others pass every step unchanged — a step only lowers an amount or brings it to
    nothing, so a row no step takes now no step takes later."""
    takes: list[exp.Expression] = [exp.not_(exp.Is(this=_col("amount_fen"), expression=exp.Null()))]
    summed = frozenset().union(*(s.provisions for s in pipeline if s.kind == "sum_events"))
    if summed:
        takes.append(exp.and_(_in(_col("provision_id"), sorted(summed)),
                              exp.not_(exp.Is(this=_col("event_id"), expression=exp.Null()))))
    return exp.or_(*takes)


def _live_through_steps(selects: list[exp.Select], plans, pipeline: tuple[steps.Step, ...]
                        ) -> tuple[list, str, exp.Select]:
    """Every candidate row once (``cand_all``, one scan per subject table), then only the rows a step may take
    (:func:`_live`) through the steps — those of provisions a step other than 就高不重复 takes from the first step
    (``cand``), the others joining them before the first step that applies to them (``plain``) — and the
    settled rest straight to the end. Returns the common table expressions, the last one's name and the
    settled rows (a SELECT of ROW)."""
    every = frozenset(pl.provision.id for pl in plans)
    stepped = frozenset().union(*(s.provisions for s in pipeline if s.kind != "overlap"))
    live = _live(pipeline)
    ctes: list[tuple[str, exp.Expression]] = [("cand_all", exp.Select(expressions=_row(amount_fen=_col("formula_fen")))
                                               .from_(_union(selects).subquery("u", copy=False), copy=False))]

    def part(ids: frozenset[str]) -> exp.Select:
        return _select([_col(c) for c in ROW], "cand_all", exp.and_(live.copy(), _member(_col("provision_id"), ids, every)))

    plain = part(every - stepped) if every - stepped else None
    last = "cand"
    if stepped:
        ctes.append(("cand", part(stepped)))
    else:
        ctes.append(("plain", plain))
        last, plain = "plain", None
    ctx = {"pipeline": pipeline, "every": every}
    for n, step in enumerate(pipeline):
        if plain is not None and step.provisions & (every - stepped):
            ctes.append(("plain", exp.Union(this=_select([_col(c) for c in ROW], last), expression=plain, distinct=False)))
            last, plain = "plain", None
        ctx["n"] = n
        ctes += STEP_EMITTERS[step.kind](step, last, ctx)
        last = ctes[-1][0]
    if plain is not None:
        ctes.append(("plain", exp.Union(this=_select([_col(c) for c in ROW], last), expression=plain, distinct=False)))
        last = "plain"
    settled = _select([_col(c) for c in ROW], "cand_all", exp.not_(live.copy()))
    return ctes, last, settled


def _with(tree: exp.Expression, ctes: list[tuple[str, exp.Expression]]) -> exp.Expression:
    for name, body in ctes:
        tree = tree.with_(name, as_=body, copy=False)
    return tree


def _restricted(plans, pipeline, only: frozenset[str] | None):
    """The plans and steps of the provisions ``only`` (all when None). Every step holds claims of one provision
    together (its ``per`` names the provision, 就高不重复 and a total of events are per provision), so a
    provision's rows are the same whichever others are screened with it."""
    if only is None:
        return plans, pipeline
    return ([pl for pl in plans if pl.provision.id in only],
            tuple(replace(s, provisions=s.provisions & only) for s in pipeline if s.provisions & only))


def _no_rows() -> exp.Select:
    """The screen's columns and no row."""
    types = {"decision_date": "DATE", "amount_fen": "BIGINT", "is_cap": "BOOLEAN"}
    names = ("entity_id", "district", "provision_id", "measure_id", "event_id", "decision_date", "status", "amount_fen",
             "is_cap", "kind", "explanation_key", "pool_id")
    return exp.Select(expressions=[_as(_cast(exp.Null(), types.get(n, "VARCHAR")), n) for n in names]).where(exp.false())


def screen_tree(policy: Policy, as_of, strategy: str | None = None, referral_rows: bool = True,
                only: frozenset[str] | None = None) -> exp.Expression:
    """The whole screen as one sqlglot tree over the views ``entities_f``, ``ev_<list>`` and ``support``:
    the candidates (one scan per subject table, :func:`subject_select`), then each declared step
    (:func:`huiqi.engine.steps.pipeline`) by its emitter. ``as_of``: a date, or the placeholder :data:`AS_OF`.
    ``only``: just these provisions (a what-if recomputes the provisions it changes)."""
    strategy = strategy or policy.header.general.overlap.default_strategy
    plans, pipeline = _restricted(plan_for(policy), steps.pipeline(plan_for(policy), strategy), only)
    groups = candidate_groups(plans, referral_rows)
    if not groups:  # no provision gives a row (a what-if on blanket referrals only)
        return _no_rows()
    selects = [subject_select(g, as_of, referral_rows, WITH_EVENTS) for g in groups]
    subjects = sorted({g[0].provision.subject for g in groups} - {"entity"})
    applicant = sorted({c.name for sel, g in zip(selects, groups) if g[0].provision.subject != "entity"
                        for c in sel.find_all(exp.Column) if c.table == "e"})
    ctes, last, settled = _live_through_steps(selects, plans, pipeline)
    if subjects:
        ctes.insert(0, (WITH_EVENTS, _with_events(subjects, applicant)))
    ctes.append(("meta", _meta(plans)))
    r, m = "r", "m"
    entity_ids = sorted(pl.provision.id for pl in plans if pl.provision.subject == "entity")
    # as batch_visible: an applicant's own row a step brought to nothing is not shown (the settled rows never
    # say not eligible: subject_select has dropped those)
    hidden = exp.and_(_in(_col("provision_id"), entity_ids) if entity_ids else exp.false(),
                      exp.EQ(this=_status(_col("explanation_key")), expression=_string("not_eligible")))
    stepped = _select([_col(c) for c in ROW], last, exp.not_(hidden))
    tree = (exp.Select(expressions=[
        _col("entity_id", r), _col("district", r), _col("provision_id", r), _col("measure_id", r), _col("event_id", r),
        _col("decision_date", r), _as(_status(_col("explanation_key", r)), "status"),
        _as(_cast(_col("amount_fen", r), "BIGINT"), "amount_fen"),
        _col("is_cap", m), _col("kind", m), _col("explanation_key", r), _col("pool_id", m)])
        .from_(exp.Union(this=stepped, expression=settled, distinct=False).subquery(r, copy=False), copy=False)
        .join(_table("meta", m), on=exp.EQ(this=_col("provision_id", m), expression=_col("provision_id", r)), copy=False))
    return _with(tree, ctes)


def referral_counts_sql(policy: Policy, as_of: dt.date, dialect: str = "duckdb", strategy: str | None = None) -> str:
    """Entity-level referrals counted by provision and district (see :func:`_referral_counts`), built once per
    policy version like :func:`screen_sql`."""
    strategy = strategy or policy.header.general.overlap.default_strategy
    sql = _cached(("referrals", policy.version, strategy, dialect),
                  lambda: _referral_counts(policy, AS_OF, dialect, strategy))
    return _dated(sql, as_of, dialect)


def _referral_counts(policy: Policy, as_of, dialect: str = "duckdb", strategy: str | None = None) -> str:
    """Entity-level referrals counted by provision and district (what ``referral_rows=False`` leaves out):
    the same candidates and declared steps as :func:`screen_tree`, only their referrals, counted.

    A referral without a ceiling has no amount, and every step but ``sum_events`` (which takes events, not
    the applicant) changes only rows with one (:func:`_held`): those are counted straight from the candidates.
    """
    strategy = strategy or policy.header.general.overlap.default_strategy
    plans = plan_for(policy)
    selects = {pl.provision.id: provision_select(pl, as_of, counts_only=True) for pl in plans}
    selects = {pid: s for pid, s in selects.items() if s is not None}
    if not selects:
        return ""
    group = [_col("provision_id"), _col("measure_id"), _col("district")]

    def counted(source: exp.Expression, table: str | None) -> exp.Select:
        select = exp.Select(expressions=[*[g.copy() for g in group], _as(exp.Count(this=exp.Star()), "referrals")])
        select = select.from_(source if table is None else exp.to_table(table), copy=False)
        key = _col("explanation_key")  # a candidate's key is exactly 'referral'; after a step, 'referral:<step>'
        return (select.where(exp.EQ(this=key if table is None else _status(key), expression=_string("referral")),
                             copy=False)
                .group_by(*[g.copy() for g in group], copy=False))

    ceilings = frozenset(pl.provision.id for pl in plans if pl.provision.id in selects and pl.amount is not None)
    ctes: list[tuple[str, exp.Expression]] = []
    parts: list[exp.Select] = []
    straight = [pl for pl in plans if pl.provision.id in selects and pl.provision.id not in ceilings]
    if straight:  # counted as they come, all in one scan of the applicants: per district, a count per provision
        ctes.append(("referral_districts", _referrals_by_district(straight, as_of)))
        parts = [exp.Select(expressions=[_as(_string(pl.provision.id), "provision_id"),
                                         _as(_string(pl.measure.id), "measure_id"), _col("district"),
                                         _as(_col(f"referrals_{i}"), "referrals")])
                 .from_(exp.to_table("referral_districts"), copy=False)
                 .where(exp.GT(this=_col(f"referrals_{i}"), expression=exp.Literal.number(0)), copy=False)
                 for i, pl in enumerate(straight)]
    if ceilings:
        pipeline = tuple(replace(s, provisions=s.provisions & ceilings) for s in steps.pipeline(plans, strategy)
                         if s.provisions & ceilings)
        assert all(s.kind != "sum_events" for s in pipeline)  # counts are of the applicant's own rows
        stepped, last = _through_steps([selects[pid] for pid in sorted(ceilings)],
                                       [pl for pl in plans if pl.provision.id in ceilings], pipeline)
        ctes += stepped
        parts.append(counted(None, last))
    return _with(_union(parts), ctes).sql(dialect=dialect, copy=False)


def _referrals_by_district(plans: list[ProvisionPlan], as_of) -> exp.Select:
    """One scan of the applicants: by district, how many each provision of ``plans`` (judged on the applicant
    itself) refers (``referrals_<i>``) — its candidate key (:func:`_candidates`) being ``referral``, among the
    applicant kinds that may claim it."""
    every_kind = sorted({k.value for pl in plans for k in CLAIMANT_KINDS[pl.provision.claimant]})
    counts = []
    for i, pl in enumerate(plans):
        key = next(x.this for x in _candidates(pl, as_of).expressions if x.alias_or_name == "explanation_key")
        kinds = sorted(k.value for k in CLAIMANT_KINDS[pl.provision.claimant])
        refers = exp.EQ(this=key, expression=_string("referral"))
        if kinds != every_kind:
            refers = exp.and_(_in(_col("kind", "e"), kinds), refers)
        counts.append(_as(exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=refers)), f"referrals_{i}"))
    return (exp.Select(expressions=[_col("district", "e"), *counts]).from_(_table("entities_f", "e"), copy=False)
            .where(_in(_col("kind", "e"), every_kind), copy=False).group_by(_col("district", "e"), copy=False))


# The as-of date in a compiled query: a placeholder, so the query is built once per policy version and
# printed text gets the date (a typed literal, which the engines fold like any constant) per screen.
AS_OF = exp.Placeholder(this="huiqi_as_of")
_SQL: dict[tuple, str] = {}


def _dated(sql: str, as_of: dt.date, dialect: str) -> str:
    return sql.replace(AS_OF.sql(dialect=dialect), _literal(as_of).sql(dialect=dialect))


def _cached(key: tuple, build) -> str:
    sql = _SQL.get(key)
    if sql is None:
        sql = build()
        if len(_SQL) > 64:
            _SQL.clear()
        _SQL[key] = sql
    return sql


def screen_sql(policy: Policy, as_of: dt.date, strategy: str | None = None, overrides: dict | None = None,
               referral_rows: bool = True, dialect: str = "duckdb", only: frozenset[str] | None = None) -> str:
    """The whole screen as one query, printed in ``dialect`` (``duckdb``; ``spark`` for the Spark engine).
    Built once per policy version, strategy and dialect (the date is put in the printed text)."""
    strategy = strategy or policy.header.general.overlap.default_strategy
    only = frozenset(only) if only is not None else None
    sql = _cached(("screen", policy.version, strategy, referral_rows, dialect, only),
                  lambda: screen_tree(policy, AS_OF, strategy, referral_rows, only).sql(dialect=dialect, copy=False))
    return _dated(sql, as_of, dialect)
