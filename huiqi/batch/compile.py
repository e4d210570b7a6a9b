"""Compile the policy's rule plan into one SQL query that screens a whole registry.

The conditions and amounts are the very sqlglot trees the calculator compiles to Python
(:mod:`huiqi.engine.plan`); here they are rewritten for a table of entities and events and
printed in a SQL dialect — DuckDB by default, Spark through sqlglot's Spark dialect. Nothing
about a rule is written twice: a change to a measure file changes both paths.

The steps mirror :func:`huiqi.engine.evaluate.evaluate` one for one, and produce the same
``explanation_key`` for every row:

1. candidates — one SELECT per provision (UNION ALL), status decided by a CASE in the
   evaluator's order: future event, expired, not yet in force, a failed condition, referral,
   a missing fact, eligible (a referral carrying a ceiling, ``amount_by_assessment``, only once
   no fact is missing);
2. ``aggregate: sum`` provisions — one row per entity on the total, rounded once;
3. yearly caps (closed form with running sums) and one-off awards (first qualifying event);
4. 就高不重复 against ``other_support``: the city pays max(0, ours − everything received).

Which rows a batch keeps is :func:`batch_visible` — every event row, and entity rows whose
provision reads a fact and that are not "not eligible" (10 million entities × 60 blanket
referrals would be 600 million rows saying nothing).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlglot import exp

from huiqi.engine.evaluate import CLAIMANT_KINDS, is_referral
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


def _sql(tree: exp.Expression) -> str:
    return tree.sql(dialect="duckdb")


# -- step 1: candidates ----------------------------------------------------------------------


def provision_select(plan: ProvisionPlan, as_of: dt.date, referral_rows: bool = True,
                     counts_only: bool = False) -> str | None:
    """One provision's candidate rows, or None where no applicant kind may claim it.

    ``counts_only``: the provision's entity-level referrals counted by district instead.
    """
    p = plan.provision
    kinds = sorted(k.value for k in CLAIMANT_KINDS[p.claimant])
    if not kinds:
        return None
    on_event = p.subject != "entity"
    dated_by = p.dated_by or ("event" if on_event else "as_of")
    day = exp.column("date", table="ev") if dated_by == "event" and on_event else _literal(as_of)
    day_sql = _sql(day)
    conds = [(cp.condition.id, _sql(_rewrite(cp.test.tree, plan, day, as_of)) if cp.test else None) for cp in plan.conditions]
    checkable = [(cid, sql) for cid, sql in conds if sql is not None]

    arms = []
    if on_event:
        arms.append((f"ev.date > {_sql(_literal(as_of))}", "not_eligible:future_event"))
    arms.append((f"{day_sql} > {_sql(_literal(plan.period.end))}", "expired"))
    arms.append((f"{day_sql} < {_sql(_literal(plan.period.start))}", "not_eligible:not_yet"))
    arms += [(f"({sql}) = FALSE", f"not_eligible:failed:{cid}") for cid, sql in checkable]
    referral = is_referral(plan)
    missing = [(f"({sql}) IS NULL", f"not_eligible:missing:{cid}") for cid, sql in checkable]
    if referral and plan.amount is not None:  # a ceiling left to assessment: only once every fact is known
        arms += missing + [("TRUE", "referral")]
    elif referral:
        arms += [("TRUE", "referral")] + missing
    else:
        arms += missing
    status = "CASE " + " ".join(f"WHEN {c} THEN '{k}'" for c, k in arms) + " ELSE 'eligible' END"
    amount = "NULL"
    if plan.amount is not None:
        amount = f"GREATEST(CAST({_sql(_rewrite(plan.amount.tree, plan, day, as_of))} AS DECIMAL(38,{DIVISION_PLACES})), 0)"
    cap = "NULL"
    if p.cap_period == "per_year" and "cap" in p.parameters:
        cap = _sql(_param_sql(plan, "cap", day, as_of))
    source = "entities_f e"
    if on_event:
        source += f" JOIN ev_{p.subject} ev ON ev.entity_id = e.entity_id"
    kind_list = ", ".join(f"'{k}'" for k in kinds)
    inner = (
        f"SELECT '{p.id}' AS provision_id, '{plan.measure.id}' AS measure_id, e.entity_id, e.district, "
        f"{'ev.id' if on_event else 'CAST(NULL AS VARCHAR)'} AS event_id, {day_sql} AS decision_date, "
        f"{status} AS explanation_key, {amount} AS amount_expr, CAST({cap} AS DECIMAL(18,2)) AS year_cap "
        f"FROM {source} WHERE e.kind IN ({kind_list})"
    )
    keep = "TRUE"
    if not on_event:
        if plan.reads_no_facts:
            return None
        keep = "explanation_key NOT LIKE 'not_eligible%'"
        if counts_only:
            if plan.amount is None:
                return (f"SELECT provision_id, measure_id, district, count(*) AS referrals FROM ({inner}) "
                        f"WHERE explanation_key = 'referral' GROUP BY ALL")
            # a ceiling already covered by support received for the same matter is no referral (就高不重复)
            return (f"SELECT c.provision_id, c.measure_id, c.district, count(*) AS referrals FROM ({inner}) c "
                    f"LEFT JOIN (SELECT entity_id, sum(CAST(round(amount * 100) AS BIGINT)) AS other_fen FROM support "
                    f"WHERE provision = '{p.id}' AND event_id IS NULL GROUP BY entity_id) o ON o.entity_id = c.entity_id "
                    f"WHERE c.explanation_key = 'referral' "
                    f"AND (o.other_fen IS NULL OR CAST(round(c.amount_expr * 100) AS BIGINT) > o.other_fen) GROUP BY ALL")
        if not referral_rows:
            keep += " AND explanation_key <> 'referral'"
    elif counts_only:
        return None
    return (
        f"SELECT provision_id, measure_id, entity_id, district, event_id, decision_date, explanation_key, "
        f"CASE WHEN explanation_key IN ('eligible', 'referral') THEN amount_expr END AS exact_yuan, year_cap "
        f"FROM ({inner}) WHERE {keep}"
    )


def referral_counts_sql(policy: Policy, as_of: dt.date) -> str:
    """Entity-level referrals counted by provision and district (what ``referral_rows=False`` leaves out)."""
    parts = [s for s in (provision_select(pl, as_of, counts_only=True) for pl in plan_for(policy)) if s]
    return " UNION ALL ".join(parts)


def screen_sql(policy: Policy, as_of: dt.date, strategy: str | None = None, overrides: dict | None = None,
               referral_rows: bool = True) -> str:
    """The whole screen as one query over the views ``entities_f``, ``ev_<list>`` and ``support``."""
    strategy = strategy or policy.header.general.overlap.default_strategy
    plans = plan_for(policy)
    selects = [s for s in (provision_select(pl, as_of, referral_rows) for pl in plans) if s]
    agg_ids = [pl.provision.id for pl in plans if pl.provision.aggregate == "sum"]
    once_ids = [pl.provision.id for pl in plans if pl.provision.cap_period == "once" and pl.provision.subject != "entity"]
    cap_ids = [pl.provision.id for pl in plans if pl.provision.cap_period == "per_year" and "cap" in pl.provision.parameters]
    window_ids = once_ids + cap_ids
    entity_ids = [pl.provision.id for pl in plans if pl.provision.subject == "entity"]
    meta = " UNION ALL ".join(
        f"SELECT '{pl.provision.id}' AS provision_id, {str(pl.provision.is_cap).upper()} AS is_cap, "
        f"'{pl.provision.kind.value}' AS kind, {('NULL' if not pl.provision.pool else repr(pl.provision.pool))} AS pool_id"
        for pl in plans
    )
    ids = lambda xs: ", ".join(f"'{x}'" for x in xs) or "''"  # noqa: E731
    status = "split_part(explanation_key, ':', 1)"
    return f"""
WITH cand AS ({' UNION ALL '.join(selects)}),
agg AS (
  SELECT provision_id, any_value(measure_id) AS measure_id, entity_id, any_value(district) AS district,
         CAST(NULL AS VARCHAR) AS event_id,
         min(decision_date) AS decision_date,
         CASE WHEN bool_or(explanation_key = 'eligible') THEN 'eligible'
              WHEN bool_and(explanation_key = 'expired') THEN 'expired' ELSE 'not_eligible:none_counted' END AS explanation_key,
         sum(exact_yuan) FILTER (WHERE explanation_key = 'eligible') AS exact_yuan, any_value(year_cap) AS year_cap
  FROM cand WHERE provision_id IN ({ids(agg_ids)}) GROUP BY provision_id, entity_id
),
base AS (
  SELECT * FROM cand WHERE provision_id NOT IN ({ids(agg_ids)})
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
    CASE WHEN provision_id IN ({ids(once_ids)}) AND explanation_key = 'eligible' AND formula_fen IS NOT NULL THEN
      (row_number() OVER w_once)
    END AS once_rank
  FROM rounded WHERE provision_id IN ({ids(window_ids)})
  WINDOW w_year AS (PARTITION BY entity_id, provision_id, year(decision_date), (explanation_key = 'eligible' AND formula_fen IS NOT NULL)
                    ORDER BY decision_date, event_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
         w_once AS (PARTITION BY entity_id, provision_id, (explanation_key = 'eligible' AND formula_fen IS NOT NULL)
                    ORDER BY decision_date, event_id)
),
capped AS (  -- only provisions with a yearly cap or a one-off rule need the windows
  SELECT *, CAST(NULL AS BIGINT) AS year_room, CAST(NULL AS BIGINT) AS once_rank
  FROM rounded WHERE provision_id NOT IN ({ids(window_ids)})
  UNION ALL SELECT * FROM windowed
),
after_caps AS (
  SELECT provision_id, measure_id, entity_id, district, event_id, decision_date, formula_fen,
    CASE WHEN year_room IS NOT NULL AND year_room < formula_fen THEN
           CASE WHEN year_room > 0 THEN 'eligible:annual_cap' ELSE 'not_eligible:annual_cap' END
         WHEN once_rank > 1 THEN 'not_eligible:once'
         ELSE explanation_key END AS explanation_key,
    CASE WHEN year_room IS NOT NULL AND year_room < formula_fen THEN CASE WHEN year_room > 0 THEN year_room END
         WHEN once_rank > 1 THEN NULL
         WHEN explanation_key IN ('eligible', 'referral') THEN formula_fen END AS amount_fen
  FROM capped
),
other AS (  -- 就高不重复: everything already received for the same matter, added up
  SELECT entity_id, provision_id, event_id, sum(fen) AS other_fen FROM (
    SELECT a.entity_id, a.provision_id, a.event_id, CAST(round(s.amount * 100) AS BIGINT) AS fen
    FROM after_caps a JOIN support s
      ON s.entity_id = a.entity_id AND s.provision = a.provision_id AND (s.event_id IS NULL OR s.event_id = a.event_id)
    WHERE {status} IN ('eligible', 'referral') AND a.amount_fen IS NOT NULL
    UNION ALL  -- a total of events: support for any of the events counted in it
    SELECT a.entity_id, a.provision_id, a.event_id, CAST(round(s.amount * 100) AS BIGINT) AS fen
    FROM after_caps a JOIN support s ON s.entity_id = a.entity_id AND s.provision = a.provision_id
      JOIN cand c ON c.entity_id = a.entity_id AND c.provision_id = a.provision_id AND c.event_id = s.event_id
                 AND c.explanation_key = 'eligible'
    WHERE a.provision_id IN ({ids(agg_ids)}) AND a.event_id IS NULL
      AND {status.replace('explanation_key', 'a.explanation_key')} IN ('eligible', 'referral') AND a.amount_fen IS NOT NULL
  ) GROUP BY entity_id, provision_id, event_id
),
overlap AS (  -- both strategies pay max(0, ours - received): the enterprise ends with the higher, never both
  SELECT a.*, o.other_fen,
    CASE WHEN o.other_fen IS NULL THEN a.amount_fen ELSE greatest(0, a.amount_fen - o.other_fen) END AS final_fen
  FROM after_caps a LEFT JOIN other o
    ON o.entity_id = a.entity_id AND o.provision_id = a.provision_id AND o.event_id IS NOT DISTINCT FROM a.event_id
),
meta AS ({meta})
SELECT r.entity_id, r.district, r.provision_id, r.measure_id, r.event_id, r.decision_date,
  CASE WHEN r.other_fen IS NOT NULL AND r.final_fen = 0 THEN 'not_eligible'
       ELSE {status.replace('explanation_key', 'r.explanation_key')} END AS status,
  CASE WHEN r.other_fen IS NOT NULL THEN CASE WHEN r.final_fen > 0 THEN r.final_fen END ELSE r.amount_fen END AS amount_fen,
  m.is_cap, m.kind,
  CASE WHEN r.other_fen IS NOT NULL
       THEN CASE WHEN r.final_fen > 0 THEN {status.replace('explanation_key', 'r.explanation_key')} ELSE 'not_eligible' END
            || ':overlap_{strategy}'
       ELSE r.explanation_key END AS explanation_key,
  m.pool_id
FROM overlap r JOIN meta m USING (provision_id)
WHERE NOT (r.other_fen IS NOT NULL AND r.final_fen = 0 AND r.provision_id IN ({ids(entity_ids)}))  -- as batch_visible
"""
