"""Compile the policy's rule plan into one SQL query that screens a whole registry.

The conditions and amounts are the very sqlglot trees the calculator compiles to Python
(:mod:`huiqi.engine.plan`); here they are rewritten for a table of entities and events and
printed in a SQL dialect — DuckDB by default, Spark through sqlglot's Spark dialect. Nothing
about a rule is written twice: a change to a measure file changes both paths.

The steps mirror :func:`huiqi.engine.evaluate.evaluate` one for one, and produce the same
``explanation_key`` for every row:

1. candidates — one SELECT per provision (UNION ALL), built with sqlglot's expression builders;
   the status is a CASE emitted from the plan's gates (:mod:`huiqi.engine.gates`, the list the
   calculator walks): future event, expired, not yet in force, a failed condition, referral,
   a missing fact, eligible (a referral carrying a ceiling, ``amount_by_assessment``, only once
   no fact is missing), and the amount is kept for the keys whose gate carries it;
2. ``aggregate: sum`` provisions — one row per entity on the total, rounded once;
3. yearly caps (closed form with running sums) and one-off awards (first qualifying event);
4. 就高不重复 against ``other_support``: the city pays max(0, ours − everything received).

Steps 2–4 are SQL text in DuckDB's dialect (windows and joins have no counterpart in the
calculator's loops); the provisions each applies to are the plan's flags and the keys they
yield come from :mod:`huiqi.engine.gates`. ``screen_sql(dialect=…)`` prints the query for DuckDB
or, parsing the steps into the same sqlglot tree, for Spark.

Which rows a batch keeps is :func:`batch_visible` — every event row, and entity rows whose
provision reads a fact and that are not "not eligible" (10 million entities × 60 blanket
referrals would be 600 million rows saying nothing).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot import exp

from huiqi.engine import gates
from huiqi.engine.evaluate import CLAIMANT_KINDS
from huiqi.engine.plan import ProvisionPlan, plan_for
from huiqi.rules.loader import Policy
from huiqi.rules.model import Unit

DIVISION_PLACES = 8  # decimals kept after a division (DuckDB would otherwise go to DOUBLE)


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


def _sql(tree: exp.Expression, dialect: str = "duckdb") -> str:
    return tree.sql(dialect=dialect)


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
    if plan.year_cap:
        cap = _param_sql(plan, "cap", day, as_of)
    select = exp.Select(expressions=[
        _as(_string(p.id), "provision_id"), _as(_string(plan.measure.id), "measure_id"),
        _col("entity_id", "e"), _col("district", "e"),
        _as(_col("id", "ev") if on_event else _cast(exp.Null(), "VARCHAR"), "event_id"),
        _as(day.copy(), "decision_date"), _as(status, "explanation_key"),
        _as(amount, "amount_expr"), _as(_cast(cap, "DECIMAL(18,2)"), "year_cap"),
    ]).from_(_table("entities_f", "e"), copy=False)
    if on_event:
        select = select.join(_table(f"ev_{p.subject}", "ev"), copy=False,
                             on=exp.EQ(this=_col("entity_id", "ev"), expression=_col("entity_id", "e")))
    return select.where(_in(_col("kind", "e"), sorted(k.value for k in CLAIMANT_KINDS[p.claimant])), copy=False)


def provision_select(plan: ProvisionPlan, as_of: dt.date, referral_rows: bool = True,
                     counts_only: bool = False) -> exp.Select | None:
    """One provision's candidate rows, or None where no applicant kind may claim it (a sqlglot tree).

    ``counts_only``: the provision's entity-level referrals counted by district instead.
    """
    p = plan.provision
    if not CLAIMANT_KINDS[p.claimant]:
        return None
    on_event = p.subject != "entity"
    if (on_event and counts_only) or (not on_event and plan.reads_no_facts):
        return None
    inner = _candidates(plan, as_of).subquery("c", copy=False)
    key = _col("explanation_key")
    if counts_only:
        is_referral_row = exp.EQ(this=_col("explanation_key", "c"), expression=_string("referral"))
        select = exp.Select(expressions=[_col("provision_id", "c"), _col("measure_id", "c"), _col("district", "c"),
                                         _as(exp.Count(this=exp.Star()), "referrals")]).from_(inner, copy=False)
        if plan.amount is not None:
            # a ceiling already covered by support received for the same matter is no referral (就高不重复)
            other = (exp.Select(expressions=[_col("entity_id"), _as(exp.Sum(this=_fen(_col("amount"))), "other_fen")])
                     .from_(exp.to_table("support"), copy=False)
                     .where(exp.and_(exp.EQ(this=_col("provision"), expression=_string(p.id)),
                                     exp.Is(this=_col("event_id"), expression=exp.Null())), copy=False)
                     .group_by(_col("entity_id"), copy=False))
            select = select.join(other.subquery("o", copy=False), join_type="LEFT", copy=False,
                                 on=exp.EQ(this=_col("entity_id", "o"), expression=_col("entity_id", "c")))
            is_referral_row = exp.and_(is_referral_row, exp.or_(
                exp.Is(this=_col("other_fen", "o"), expression=exp.Null()),
                exp.GT(this=_fen(_col("amount_expr", "c")), expression=_col("other_fen", "o"))))
        return select.where(is_referral_row, copy=False).group_by(
            _col("provision_id", "c"), _col("measure_id", "c"), _col("district", "c"), copy=False)
    carried = exp.Case().when(_in(key.copy(), gates.amount_keys(plan.gates)), _col("amount_expr"), copy=False)
    select = exp.Select(expressions=[*[_col(c) for c in ("provision_id", "measure_id", "entity_id", "district", "event_id",
                                                         "decision_date", "explanation_key")],
                                     _as(carried, "exact_yuan"), _col("year_cap")]).from_(inner, copy=False)
    if not on_event:
        keep = exp.not_(exp.Like(this=key.copy(), expression=_string("not_eligible%")), copy=False)
        if not referral_rows:
            keep = exp.and_(keep, exp.NEQ(this=key.copy(), expression=_string("referral")), copy=False)
        select = select.where(keep, copy=False)
    return select


def _fen(yuan: exp.Expression) -> exp.Expression:
    """Yuan to integer fen, rounded half away from zero (as the calculator's ROUND_HALF_UP on amounts ≥ 0)."""
    return _cast(exp.Round(this=exp.Mul(this=yuan, expression=exp.Literal.number(100))), "BIGINT")


def _union(selects: list[exp.Select]) -> exp.Expression:
    tree: exp.Expression = selects[0]
    for s in selects[1:]:
        tree = exp.Union(this=tree, expression=s, distinct=False)
    return tree


def referral_counts_sql(policy: Policy, as_of: dt.date, dialect: str = "duckdb") -> str:
    """Entity-level referrals counted by provision and district (what ``referral_rows=False`` leaves out)."""
    parts = [s for s in (provision_select(pl, as_of, counts_only=True) for pl in plan_for(policy)) if s]
    return _union(parts).sql(dialect=dialect, copy=False) if parts else ""


# -- steps 2–4: totals of events, caps across claims, 就高不重复 -------------------------------------
# The structure of these steps is SQL (windows and joins); which provisions each step applies to, and the
# keys it yields, come from the plan and huiqi.engine.gates. The text is DuckDB's dialect, parsed by sqlglot
# into the same tree as the candidates and printed in the target dialect.

_STEPS = """
WITH cand AS (SELECT 1),
agg AS (
  SELECT provision_id, any_value(measure_id) AS measure_id, entity_id, any_value(district) AS district,
         CAST(NULL AS VARCHAR) AS event_id,
         min(decision_date) AS decision_date,
         {merged_key} AS explanation_key,
         sum(exact_yuan) FILTER (WHERE explanation_key = 'eligible') AS exact_yuan, any_value(year_cap) AS year_cap
  FROM cand WHERE provision_id IN ({agg_ids}) GROUP BY provision_id, entity_id
),
base AS (
  SELECT * FROM cand WHERE provision_id NOT IN ({agg_ids})
  UNION ALL SELECT * FROM agg
),
rounded AS (
  SELECT *, CAST(round(exact_yuan * 100) AS BIGINT) AS formula_fen FROM base
),
windowed AS (
  SELECT *,
    CASE WHEN year_cap IS NOT NULL AND explanation_key = 'eligible' AND formula_fen IS NOT NULL THEN
      least((sum(formula_fen) OVER w_year), CAST(round(year_cap * 100) AS BIGINT))
      - least((sum(formula_fen) OVER w_year) - formula_fen, CAST(round(year_cap * 100) AS BIGINT))
    END AS year_room,
    CASE WHEN provision_id IN ({once_ids}) AND explanation_key = 'eligible' AND formula_fen IS NOT NULL THEN
      (row_number() OVER w_once)
    END AS once_rank
  FROM rounded WHERE provision_id IN ({window_ids})
  WINDOW w_year AS (PARTITION BY entity_id, provision_id, year(decision_date), (explanation_key = 'eligible' AND formula_fen IS NOT NULL)
                    ORDER BY decision_date, event_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
         w_once AS (PARTITION BY entity_id, provision_id, (explanation_key = 'eligible' AND formula_fen IS NOT NULL)
                    ORDER BY decision_date, event_id)
),
capped AS (  -- only provisions with a yearly cap or a one-off rule need the windows
  SELECT *, CAST(NULL AS BIGINT) AS year_room, CAST(NULL AS BIGINT) AS once_rank
  FROM rounded WHERE provision_id NOT IN ({window_ids})
  UNION ALL SELECT * FROM windowed
),
after_caps AS (
  SELECT provision_id, measure_id, entity_id, district, event_id, decision_date, formula_fen,
    CASE WHEN year_room IS NOT NULL AND year_room < formula_fen THEN {year_cap_key}
         WHEN once_rank > 1 THEN '{once_key}'
         ELSE explanation_key END AS explanation_key,
    CASE WHEN year_room IS NOT NULL AND year_room < formula_fen THEN CASE WHEN year_room > 0 THEN year_room END
         WHEN once_rank > 1 THEN NULL
         WHEN explanation_key IN ({amount_keys}) THEN formula_fen END AS amount_fen
  FROM capped
),
other AS (  -- 就高不重复: everything already received for the same matter, added up
  SELECT entity_id, provision_id, event_id, sum(fen) AS other_fen FROM (
    SELECT a.entity_id, a.provision_id, a.event_id, CAST(round(s.amount * 100) AS BIGINT) AS fen
    FROM after_caps a JOIN support s
      ON s.entity_id = a.entity_id AND s.provision = a.provision_id AND (s.event_id IS NULL OR s.event_id = a.event_id)
    WHERE {status_a} IN ({amount_statuses}) AND a.amount_fen IS NOT NULL
    UNION ALL  -- a total of events: support for any of the events counted in it
    SELECT a.entity_id, a.provision_id, a.event_id, CAST(round(s.amount * 100) AS BIGINT) AS fen
    FROM after_caps a JOIN support s ON s.entity_id = a.entity_id AND s.provision = a.provision_id
      JOIN cand c ON c.entity_id = a.entity_id AND c.provision_id = a.provision_id AND c.event_id = s.event_id
                 AND c.explanation_key = 'eligible'
    WHERE a.provision_id IN ({agg_ids}) AND a.event_id IS NULL
      AND {status_a} IN ({amount_statuses}) AND a.amount_fen IS NOT NULL
  ) AS x GROUP BY entity_id, provision_id, event_id
),
overlap AS (  -- both strategies pay max(0, ours - received): the enterprise ends with the higher, never both
  SELECT a.*, o.other_fen,
    CASE WHEN o.other_fen IS NULL THEN a.amount_fen ELSE greatest(0, a.amount_fen - o.other_fen) END AS final_fen
  FROM after_caps a LEFT JOIN other o
    ON o.entity_id = a.entity_id AND o.provision_id = a.provision_id AND o.event_id IS NOT DISTINCT FROM a.event_id
),
meta AS ({meta})
SELECT r.entity_id, r.district, r.provision_id, r.measure_id, r.event_id, r.decision_date,
  CASE WHEN r.other_fen IS NOT NULL AND r.final_fen = 0 THEN 'not_eligible' ELSE {status_r} END AS status,
  CASE WHEN r.other_fen IS NOT NULL THEN CASE WHEN r.final_fen > 0 THEN r.final_fen END ELSE r.amount_fen END AS amount_fen,
  m.is_cap, m.kind,
  CASE WHEN r.other_fen IS NOT NULL THEN {overlap_key} ELSE r.explanation_key END AS explanation_key,
  m.pool_id
FROM overlap r JOIN meta m USING (provision_id)
WHERE NOT (r.other_fen IS NOT NULL AND r.final_fen = 0 AND r.provision_id IN ({entity_ids}))  -- as batch_visible
"""

def _steps_text(plans, strategy: str) -> str:
    """The steps after the candidates, in DuckDB's dialect, with the keys of huiqi.engine.gates filled in."""
    ids = lambda xs: ", ".join(f"'{x}'" for x in xs) or "''"  # noqa: E731
    agg_ids = [pl.provision.id for pl in plans if pl.aggregate_sum]
    once_ids = [pl.provision.id for pl in plans if pl.once]
    window_ids = once_ids + [pl.provision.id for pl in plans if pl.year_cap]
    entity_ids = [pl.provision.id for pl in plans if pl.provision.subject == "entity"]
    carried = sorted({k for pl in plans for k in gates.amount_keys(pl.gates)})
    meta = " UNION ALL ".join(
        f"SELECT '{pl.provision.id}' AS provision_id, {str(pl.provision.is_cap).upper()} AS is_cap, "
        f"'{pl.provision.kind.value}' AS kind, {('NULL' if not pl.provision.pool else repr(pl.provision.pool))} AS pool_id"
        for pl in plans
    )
    key_r = _col("explanation_key", "r")
    return _STEPS.format(
        merged_key=_sql(gates.merged_key_sql(_col("explanation_key"))),
        agg_ids=ids(agg_ids), once_ids=ids(once_ids), window_ids=ids(window_ids), entity_ids=ids(entity_ids),
        year_cap_key=_sql(gates.adjusted_key_sql(_string("eligible"), _col("year_room"), "annual_cap")),
        once_key=gates.adjusted_key("eligible", 0, "once"),
        amount_keys=ids(carried), amount_statuses=ids(sorted({gates.status_of(k) for k in carried})),
        status_a=_sql(gates.status_of_sql(_col("explanation_key", "a"))),
        status_r=_sql(gates.status_of_sql(key_r)),
        overlap_key=_sql(gates.adjusted_key_sql(gates.status_of_sql(key_r), _col("final_fen", "r"), f"overlap_{strategy}")),
        meta=meta,
    )


_CAND = "WITH cand AS (SELECT 1)"
_SQL: dict[tuple, str] = {}


def screen_tree(policy: Policy, as_of: dt.date, strategy: str | None = None, referral_rows: bool = True) -> exp.Expression:
    """The whole screen as one sqlglot tree over the views ``entities_f``, ``ev_<list>`` and ``support``."""
    strategy = strategy or policy.header.general.overlap.default_strategy
    plans = plan_for(policy)
    tree = sqlglot.parse_one(_steps_text(plans, strategy), read="duckdb")
    cand = next(c for c in tree.find(exp.With).expressions if c.alias == "cand")
    cand.set("this", _union([s for s in (provision_select(pl, as_of, referral_rows) for pl in plans) if s]))
    return tree


def screen_sql(policy: Policy, as_of: dt.date, strategy: str | None = None, overrides: dict | None = None,
               referral_rows: bool = True, dialect: str = "duckdb") -> str:
    """The whole screen as one query, printed in ``dialect`` (``duckdb``; ``spark`` for the Spark engine).

    The candidates are built as sqlglot trees and printed in ``dialect``; the later steps are DuckDB text,
    used as it is for DuckDB (no parsing of a 70 kB query on every screen) and parsed by sqlglot into the same
    tree for any other dialect (:func:`screen_tree`).
    """
    strategy = strategy or policy.header.general.overlap.default_strategy
    cache_key = (policy.version, as_of, strategy, referral_rows, dialect)
    sql = _SQL.get(cache_key)
    if sql is None:
        if dialect == "duckdb":
            plans = plan_for(policy)
            steps = _steps_text(plans, strategy)
            assert steps.lstrip().startswith(_CAND)
            cand = _union([s for s in (provision_select(pl, as_of, referral_rows) for pl in plans) if s])
            sql = f"WITH cand AS ({cand.sql(dialect='duckdb', copy=False)})" + steps.lstrip()[len(_CAND):]
        else:
            sql = screen_tree(policy, as_of, strategy, referral_rows).sql(dialect=dialect, copy=False)
        if len(_SQL) > 64:
            _SQL.clear()
        _SQL[cache_key] = sql
    return sql
