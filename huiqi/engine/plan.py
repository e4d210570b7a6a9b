"""Compile a policy's rule expressions once into a plan the evaluator runs many times.

The plan holds, per provision, its compiled condition tests, its amount formula
(defaulted from the provision's kind when the file states none), its extra
figures and its decision pipeline: the ordered gates that decide a candidate's
status (:mod:`huiqi.engine.gates`) and the steps across rows it takes part in
(:mod:`huiqi.engine.steps`: a total of events, a yearly cap, a one-off award) — read
by the calculator and the batch compiler alike. It is keyed by the policy version, so a changed policy
is a new plan.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

from huiqi.engine.gates import Gate, gates_for
from huiqi.engine.steps import Step, provision_steps
from huiqi.rules.expr import CompiledExpr, compile_expr
from huiqi.rules.loader import Policy
from huiqi.rules.model import ENGINE_PARAMETERS, Condition, Measure, Period, Provision, ProvisionKind


def fact_keys(columns) -> tuple[tuple[str, bool, str], ...]:
    """``(("entity", "revenue"), …)`` as ``(("entity.revenue", True, "revenue"), …)``: the key a result's facts
    use, whether the fact is the applicant's (else the event's), and its column — spelled once, not per row."""
    return tuple((f"{ns}.{col}", ns == "entity", col) for ns, col in columns)


@dataclass(frozen=True)
class ConditionPlan:
    condition: Condition
    test: CompiledExpr | None  # None: only the department can check it
    facts: tuple[tuple[str, bool, str], ...] = ()  # the facts the test reads (fact_keys)


@dataclass(frozen=True)
class ProvisionPlan:
    measure: Measure
    provision: Provision
    period: Period
    conditions: tuple[ConditionPlan, ...]
    amount: CompiledExpr | None
    figures: tuple[tuple[str, CompiledExpr], ...]
    columns: tuple[tuple[str, str], ...]  # every fact the provision reads, for the explanation
    static: dict  # the result fields that never depend on the applicant (ids, titles, citation …)
    reads_no_facts: bool  # no test, amount or figure reads a fact: the result depends on the date only
    # The decision pipeline, declared once for the calculator and the batch screen (huiqi.engine.gates):
    gates: tuple[Gate, ...] = ()  # a candidate's status: the first gate whose test holds
    referral: bool = False  # a referral once its checkable conditions hold (is_referral)
    ceiling: bool = False  # … carrying a ceiling left to assessment (amount_by_assessment)
    # … and the steps across rows it takes part in (huiqi.engine.steps): a total of events, a cap, a one-off award
    steps: tuple[Step, ...] = ()
    facts: tuple[tuple[str, bool, str], ...] = ()  # fact_keys(columns): every fact shown with a result
    on_event_day: bool = False  # judged per event and dated by the event (else by the answer's date)
    _params_by_day: dict = field(default_factory=dict, compare=False, repr=False)
    _shown_by_day: dict = field(default_factory=dict, compare=False, repr=False)

    def step(self, kind: str) -> Step | None:
        """The provision's step of ``kind`` (``sum_events``, ``cap``, ``first_only``), if it takes part in one."""
        return next((s for s in self.steps if s.kind == kind), None)

    def params_on(self, day, as_of) -> dict:
        """Parameter values in force on ``day`` plus the engine's own (cached: days repeat)."""
        key = (day, as_of)
        values = self._params_by_day.get(key)
        if values is None:
            values = {name: p.value_on(day) for name, p in self.provision.parameters.items()}
            values["in_force_start"] = self.period.start
            values["in_force_end"] = self.period.end
            values["as_of"] = as_of
            if len(self._params_by_day) > 4096:
                self._params_by_day.clear()
            self._params_by_day[key] = values
        return values

    def params_shown(self, day, as_of) -> tuple[dict, dict]:
        """:meth:`params_on` and the provision's own parameters among them (what a result shows), cached.

        The second dict is shared by every result of that day: read-only."""
        key = (day, as_of)
        hit = self._shown_by_day.get(key)
        if hit is None:
            values = self.params_on(day, as_of)
            hit = (values, {k: values[k] for k in self.provision.parameters})
            if len(self._shown_by_day) > 4096:
                self._shown_by_day.clear()
            self._shown_by_day[key] = hit
        return hit


def default_amount(p: Provision) -> str | None:
    """The amount formula a kind implies, in yuan."""
    if p.amount is not None:
        return p.amount
    if p.kind is ProvisionKind.fixed_award:
        return ":amount"
    if p.kind is ProvisionKind.capped_award:
        return ":cap"
    if p.kind is ProvisionKind.share_with_cap and p.base is not None:
        return f"LEAST(:rate * ({p.base}), :cap)" if "cap" in p.parameters else f":rate * ({p.base})"
    return None


def compile_provision(policy: Policy, measure: Measure, p: Provision) -> ProvisionPlan:
    allowed = set(p.parameters) | ENGINE_PARAMETERS
    tests = [(c, compile_expr(c.test, allowed) if c.test else None) for c in p.conditions]
    conds = tuple(ConditionPlan(c, t, fact_keys(t.columns) if t else ()) for c, t in tests)
    amount_src = default_amount(p)
    amount = compile_expr(amount_src, allowed) if amount_src else None
    figures = tuple((k, compile_expr(v.expr, allowed)) for k, v in p.figures.items())
    columns: set[tuple[str, str]] = set()
    for c in conds:
        if c.test:
            columns.update(c.test.columns)
    for e in [amount, *(f for _, f in figures)]:
        if e:
            columns.update(e.columns)
    static = dict(
        provision_id=p.id,
        measure_id=measure.id,
        title_zh=p.title_zh,
        title_en=p.title_en,
        kind=p.kind.value,
        claimant=p.claimant.value,
        subject=p.subject,
        is_cap=p.is_cap,
        citation=tuple(p.citation),
        lead_departments=tuple(d.name for d in measure.lead_departments),
    )
    reads_no_facts = p.subject == "entity" and not columns
    referral = is_referral(p, conds, amount, figures)
    ceiling = referral and amount is not None
    return ProvisionPlan(measure, p, policy.in_force(measure), conds, amount, figures, tuple(sorted(columns)), static,
                         reads_no_facts,
                         gates=gates_for(conds, on_event=p.subject != "entity", referral=referral, ceiling=ceiling),
                         referral=referral, ceiling=ceiling,
                         steps=provision_steps(p.aggregate, p.cap_period, tuple(p.parameters), p.subject),
                         facts=fact_keys(sorted(columns)),
                         on_event_day=p.subject != "entity" and (p.dated_by or "event") == "event")


def is_referral(p: Provision, conds, amount, figures) -> bool:
    """Whether a provision whose checkable conditions hold is a referral rather than an amount.

    A ``referral`` provision (the text states no figure); a ceiling whose amount the text leaves to criteria
    it does not define (``amount_by_assessment``); or a rule with no figure that no fact can check.
    """
    unchecked = sum(1 for cp in conds if cp.test is None)
    return p.kind is ProvisionKind.referral or p.amount_by_assessment or (
        unchecked > 0 and unchecked == len(conds) and amount is None and not figures
    )


_PLANS: dict[str, tuple[ProvisionPlan, ...]] = {}


def plan_for(policy: Policy) -> tuple[ProvisionPlan, ...]:
    """All provisions of ``policy``, compiled, in the text's order (cached by policy version)."""
    plan = _PLANS.get(policy.version)
    if plan is None:
        plan = tuple(compile_provision(policy, m, p) for m in policy.measures for p in m.provisions)
        _PLANS[policy.version] = plan
    return plan


def prepare(policy: Policy) -> tuple[ProvisionPlan, ...]:
    """Ready a loaded policy for answering: its plan compiled and the calculator's judges laid out
    (:func:`huiqi.engine.evaluate.ready`), then everything loaded so far frozen out of the cyclic garbage
    collector (``gc.freeze``).

    Why: a policy, its plan and the libraries are hundreds of thousands of long-lived objects; without the
    freeze every full collection walks them all, in the middle of some evaluation — the tail of the
    latency. Call it once the policy is loaded (the server's start, each worker, the CLI, the benchmark);
    calling it again only freezes what was loaded since.
    """
    plans = plan_for(policy)
    from huiqi.engine.evaluate import ready  # the calculator's judges (evaluate imports this module)

    ready(plans)
    gc.collect()
    gc.freeze()
    return plans
