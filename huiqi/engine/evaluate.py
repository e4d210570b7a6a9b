"""Evaluate one applicant against every provision: who gets what, how much, and why.

The pipeline:

1. **candidates** — for each provision, one row per subject (the applicant, or each
   event of the provision's list), decided by the plan's gates (:mod:`huiqi.engine.gates`),
   with the amount the formula gives, using the parameter values in force on the row's
   decision date;
2. **steps across rows**, declared once in :mod:`huiqi.engine.steps` and carried out here
   by :data:`STEP_EXECUTORS` (the batch compiler emits the same steps as SQL): totals of
   events, a year's claims rounded once, caps across claims (the compute voucher's yearly ceiling), one-off awards,
   就高不重复 against support already received;
3. **totals** — per measure and overall, each benefit kind apart (a loan limit is not
   money received).

Money is integer fen; yuan amounts from formulas are rounded half-up (四舍五入) to
the fen by the one rule of :data:`huiqi.engine.steps.MONEY`.
"""

from __future__ import annotations

import dataclasses
import operator
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, Literal, Mapping

from huiqi.engine import explain, gates, steps
from huiqi.engine.plan import ProvisionPlan, plan_for
from huiqi.profile.facts import entity_facts, event_facts
from huiqi.profile.model import ApplicantKind, Profile
from huiqi.rules.loader import Policy
from huiqi.rules.model import Claimant, Provision, ProvisionKind

Status = Literal["eligible", "not_eligible", "referral", "expired"]
Strategy = Literal["highest_only", "top_up"]

# Which applicants may claim a provision addressed to each kind of claimant.
CLAIMANT_KINDS: dict[Claimant, frozenset[ApplicantKind]] = {
    Claimant.enterprise: frozenset({ApplicantKind.enterprise}),
    Claimant.bidder: frozenset({ApplicantKind.enterprise}),
    Claimant.employer: frozenset({ApplicantKind.enterprise, ApplicantKind.park_operator, ApplicantKind.guarantee_institution}),
    Claimant.taxpayer: frozenset(ApplicantKind),  # 单位和个人 (车辆购置税法 第一条)
    Claimant.project: frozenset({ApplicantKind.enterprise, ApplicantKind.park_operator}),
    Claimant.individual: frozenset({ApplicantKind.individual}),
    Claimant.park_operator: frozenset({ApplicantKind.park_operator}),
    Claimant.guarantee_institution: frozenset({ApplicantKind.guarantee_institution}),
    Claimant.procuring_entity: frozenset({ApplicantKind.procuring_entity}),
    Claimant.community: frozenset(),
    Claimant.government: frozenset(),
}
MONEY_KINDS = {ProvisionKind.fixed_award, ProvisionKind.capped_award, ProvisionKind.share_with_cap, ProvisionKind.tax_relief}


to_fen = steps.to_fen  # the one rounding rule (huiqi.engine.steps.MONEY)


@dataclass(frozen=True)
class ConditionOutcome:
    id: str
    zh: str
    en: str
    satisfied: bool | None  # None: unknown (a fact is missing, or only the department can check)
    checkable: bool
    facts: dict[str, Any]


@dataclass(frozen=True)
class ProvisionResult:
    provision_id: str
    measure_id: str
    title_zh: str
    title_en: str
    kind: str
    claimant: str
    subject: str
    event_id: str | None
    decision_date: dt.date
    status: Status
    amount_fen: int | None
    is_cap: bool
    parameters: dict[str, Any]
    facts: dict[str, Any]
    conditions: tuple[ConditionOutcome, ...]
    figures: dict[str, Any]
    citation: tuple[str, ...]
    lead_departments: tuple[str, ...]
    explanation: explain.Explanation  # the key and the parameters of the words; worded when first read
    formula_fen: int | None = None  # the amount before caps across claims and 就高不重复
    exact_yuan: Decimal | None = None  # the formula's exact value, for sums rounded once
    explanation_key: str = ""  # machine-readable reason, the same in the batch screener: eligible, not_eligible:failed:<condition> …
    adjustments: tuple[dict[str, Any], ...] = ()

    @property
    def benefit(self) -> str:
        """The benefit kind (money / relief / loan_limit / right / referral), from ``kind``."""
        return Provision.BENEFIT_OF_KIND[self.kind]

    @property
    def explanation_zh(self) -> str:
        """The explanation in Chinese (worded on first read)."""
        return self.explanation.text("zh")

    @property
    def explanation_en(self) -> str:
        """The explanation in English (worded on first read)."""
        return self.explanation.text("en")

    def explanation_text(self, lang: str = "zh") -> str:
        """The explanation in ``lang`` (``zh`` or ``en``)."""
        return self.explanation.text(lang)

    def as_dict(self, text: bool = True) -> dict[str, Any]:
        """Plain data for JSON; memoised, because results that depend only on the date are shared (read-only).

        ``text=False``: without ``explanation_zh``/``explanation_en`` (``explanation_key`` says why), so no
        words are formatted — for answers that word only the rows a person reads."""
        memo = "_as_dict" if text else "_as_dict_keys"
        cached = self.__dict__.get(memo)
        if cached is not None:
            return cached
        from huiqi.money import format_fen

        d: dict[str, Any] = {}
        for k, v in self.__dict__.items():
            if k == "explanation":
                if text:
                    d["explanation_zh"], d["explanation_en"] = v.text("zh"), v.text("en")
            elif k not in ("conditions", "exact_yuan", "_as_dict", "_as_dict_keys"):
                d[k] = v
        d["conditions"] = [c.__dict__ for c in self.conditions]
        d["amount_display"] = format_fen(self.amount_fen) if self.amount_fen is not None else None
        d["citation"] = list(self.citation)
        d["lead_departments"] = list(self.lead_departments)
        d["adjustments"] = list(self.adjustments)
        d["benefit"] = explain.benefit_words(self.benefit)
        object.__setattr__(self, memo, d)
        return d


@dataclass
class Evaluation:
    policy_id: str
    policy_version: str
    as_of: dt.date
    strategy: Strategy
    profile_id: str | None
    profile_name: str
    derived: dict[str, Any]
    results: list[ProvisionResult] = field(default_factory=list)

    def totals(self) -> dict[str, Any]:
        """Eligible amounts per measure and overall, each benefit kind on its own.

        ``paid_fen`` 可获资金 (awards and subsidies paid), ``relief_fen`` 可减免税费 (tax and fees not levied),
        ``loan_limit_fen`` 可申请贷款额度; ``up_to_fen`` the part of the money paid that is a ceiling.
        ``money_fen`` is kept for existing readers: ``paid_fen + relief_fen``, the value of awards and reliefs
        together — never to be worded as money received.
        """
        keys = ("money_fen", "paid_fen", "relief_fen", "up_to_fen", "loan_limit_fen")
        by_measure: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(keys, 0))
        for r in self.results:
            if r.status != "eligible" or r.amount_fen is None:
                continue
            t = by_measure[r.measure_id]
            benefit = r.benefit
            if benefit == "loan_limit":
                t["loan_limit_fen"] += r.amount_fen
            elif benefit in ("money", "relief"):
                t["money_fen"] += r.amount_fen
                t["paid_fen" if benefit == "money" else "relief_fen"] += r.amount_fen
                if r.is_cap:
                    t["up_to_fen"] += r.amount_fen
        overall = {k: sum(t[k] for t in by_measure.values()) for k in keys}
        return {"by_measure": dict(by_measure), "overall": overall}

    def as_dict(self) -> dict[str, Any]:
        from huiqi.money import format_fen

        totals = self.totals()
        return {
            "policy": {"id": self.policy_id, "version": self.policy_version},
            "as_of": self.as_of,
            "strategy": self.strategy,
            "profile": {"id": self.profile_id, "name": self.profile_name, "derived": self.derived},
            "totals": {
                **totals,
                "overall_display": format_fen(totals["overall"]["money_fen"]),  # kept: paid + relief, see totals()
                # each benefit kind's total in words, never added together (可获资金 / 可减免税费 / 可申请贷款额度)
                "by_benefit": [
                    {**explain.benefit_words(code), "fen": totals["overall"][key],
                     "display": format_fen(totals["overall"][key])}
                    for code, key in (("money", "paid_fen"), ("relief", "relief_fen"), ("loan_limit", "loan_limit_fen"))
                ],
            },
            "results": [r.as_dict() for r in self.results],
        }


# -- step 1: candidates ----------------------------------------------------------------------


_NO_EVENT: dict[str, Any] = {}  # an applicant's own row has no event (read-only)
# A gate's test read by position (gates.Test's op, its dates by their index in a candidate's dates tuple).
_DATE_NAMES: tuple[str, ...] = ("event_date", "day", "as_of", "in_force_start", "in_force_end")  # gates.DateName
_ALWAYS, _AFTER, _BEFORE, _IS_FALSE, _IS_NULL = range(5)
_OP_CODES = {"always": _ALWAYS, "after": _AFTER, "before": _BEFORE, "is_false": _IS_FALSE, "is_null": _IS_NULL}


class _Judge:
    """One provision's decision laid out once for every row it judges: the plan's gates as ``(gate, op, a, b)``
    tuples (a date test's dates, or a condition's index, by position — :func:`huiqi.engine.gates.holds` is the
    reference reading of the same declarations), its conditions as ready outcome fields, its result's fields in
    order — and, from these, one generated function (``run``, :func:`_judge_function`). Per row then only the
    facts are read and the tests run: no gate interpreted by name, no dict of dates, no keyword arguments.
    tests/test_gates_reference.py checks every row it decides against :func:`huiqi.engine.gates.holds`.

    ``lead``: the date gates before the first condition (decided before any condition is tested, as the
    declared order says); ``rest``: the gates from the first condition on.
    """

    __slots__ = ("plan", "lead", "rest", "conds", "facts", "template", "on_event_day", "start", "end", "figures",
                 "shown", "run")

    def __init__(self, plan: ProvisionPlan):
        self.plan = plan
        self.template = {f.name: plan.static.get(f.name, None if f.default is dataclasses.MISSING else f.default)
                         for f in dataclasses.fields(ProvisionResult)}
        tests = []
        for g in plan.gates:
            op = _OP_CODES[g.test.op]
            dated = op in (_AFTER, _BEFORE)
            tests.append((g, op, _DATE_NAMES.index(g.test.left) if dated else g.test.condition,
                          _DATE_NAMES.index(g.test.right) if dated else None,
                          {**self.template, "status": g.status, "explanation_key": g.key}))  # its results' fields
        lead = 0
        while lead < len(tests) and tests[lead][1] in (_AFTER, _BEFORE):
            lead += 1
        self.lead, self.rest = tuple(tests[:lead]), tuple(tests[lead:])
        self.conds = tuple(
            ({"id": cp.condition.id, "zh": cp.condition.zh, "en": cp.condition.en, "satisfied": None,
              "checkable": cp.test is not None, "facts": None},
             None if cp.test is None else cp.test.fn, _facts_reader(cp.facts))
            for cp in plan.conditions)
        self.facts = _facts_reader(plan.facts)
        self.on_event_day = plan.on_event_day
        self.start, self.end = plan.period.start, plan.period.end
        p = plan.provision
        self.figures = tuple((name, p.figures[name].unit, f.fn) for name, f in plan.figures)
        self.shown = plan._shown_by_day  # params_shown's cache, read first without the call
        self.run = _judge_function(self)  # judge(entity, event, as_of) → the row's result


def _facts_reader(spec: tuple[tuple[str, bool, str], ...]) -> Callable[[dict, dict], dict]:
    """``lambda en, ev: {key: (en if own else ev).get(col), …}`` for the facts a provision or a condition reads
    (:func:`huiqi.engine.plan.fact_keys`), generated once as one dict display — a comprehension per row costs
    about twice as much. The keys and columns are written into it as literals (``repr``), never as code."""
    items = ", ".join(f"{key!r}: {'en' if own else 'ev'}.get({col!r})" for key, own, col in spec)
    return eval(f"lambda en, ev: {{{items}}}", {})  # noqa: S307 - string literals only (see above)


_JUDGES: dict[int, tuple[ProvisionPlan, _Judge]] = {}


def _judge_of(plan: ProvisionPlan) -> _Judge:
    hit = _JUDGES.get(id(plan))
    if hit is None or hit[0] is not plan:
        if len(_JUDGES) > 20000:
            _JUDGES.clear()
        hit = _JUDGES[id(plan)] = (plan, _Judge(plan))
    return hit[1]


def ready(plans) -> None:
    """Lay out every provision's judge now, its generated function included, so that the first applicant does not
    wait for them and :func:`huiqi.engine.plan.prepare` freezes them with the rest of the policy."""
    for plan in plans:
        _judge_of(plan)


def _candidate(plan: ProvisionPlan, entity: dict, event: dict | None, as_of: dt.date) -> ProvisionResult:
    """One candidate row, decided by the plan's gates (:mod:`huiqi.engine.gates`): the first that holds."""
    return _judge_of(plan).run(entity, _NO_EVENT if event is None else event, as_of)


_DATE_VARS = ("event_date", "day", "as_of", "START", "END")  # _DATE_NAMES as the generated function names them
# The words a gate's result carries (huiqi.engine.explain.Explanation: the function and its arguments, worded
# when read), by the gate's kind, the arguments as the generated function names them.
_WORDS: dict[str, tuple[Callable[..., tuple[str, str]], str]] = {
    # with the conditions stated by the text that only the department can confirm
    "eligible": (explain.eligible_of, "PROVISION, amount_fen, shown, figures, outcomes"),
    "failed": (explain.failed_of, "outcomes"),
    "missing": (explain.missing_of, "outcomes"),
    # No figure in the text, a yes/no rule no fact can decide, or only a ceiling for an assessment whose criteria
    # the text does not define: refer to the department (the ceiling travels with it, is_cap).
    "referral": (explain.referral_of, "PROVISION, MEASURE, outcomes, amount_fen"),
    "future_event": (explain.future_event, "ev['date'], as_of"),
    "expired": (explain.expired, "day, END"),
    "not_yet": (explain.not_yet, "day, START"),
}


def _judge_function(j: _Judge) -> Callable[[dict, dict, dt.date], ProvisionResult]:
    """The judge as one Python function, generated once per provision: the date gates, then each condition
    (its outcome built, its value kept in a local), then the gates from the first condition on — in the declared
    order, straight-line, with no loop, tuple or list per row — each gate that holds returning its result
    (:func:`_result_code`). The gates' tests, fields, words and the facts readers are bound as constants of the
    function (never written into its text); its text names only local variables, those constants and the
    dates, so nothing a policy file says becomes code."""
    plan = j.plan
    env: dict[str, Any] = {"PLAN": plan, "PROVISION": plan.provision, "MEASURE": plan.measure, "SHOWN": j.shown,
                           "FACTS": j.facts, "START": j.start, "END": j.end, "NEW": object.__new__,
                           "OUTCOME": ConditionOutcome, "RESULT": ProvisionResult, "ROUND": _round_figure,
                           "EXPLANATION": explain.Explanation, "AMOUNT": plan.amount.fn if plan.amount else None,
                           "DECIMAL": Decimal, "TO_FEN": to_fen, "ZERO": _ZERO}
    code = ["def judge(en, ev, as_of):",
            "    event_date = ev.get('date')",
            "    day = event_date" if j.on_event_day else "    day = as_of",
            "    hit = SHOWN.get((day, as_of))",
            "    params, shown = hit if hit is not None else PLAN.params_shown(day, as_of)",
            "    facts = FACTS(en, ev)"]
    n = 0

    def test(op: int, a: int, b: int | None) -> str:
        if op in (_AFTER, _BEFORE):
            return f"{_DATE_VARS[a]} {'>' if op == _AFTER else '<'} {_DATE_VARS[b]}"
        return f"s{a} is {'False' if op == _IS_FALSE else 'None'}"

    for gate, op, a, b, fields in j.lead:
        env[f"F{n}"] = fields
        code.append(f"    if {test(op, a, b)}:")
        code += _result_code(j, gate, n, env, "        ", before_conditions=True)
        n += 1
    for i, (base, fn, read_facts) in enumerate(j.conds):
        env[f"B{i}"] = base
        code.append(f"    o{i} = NEW(OUTCOME); d = o{i}.__dict__; d.update(B{i})")  # no per-field __setattr__
        if fn is None:
            code.append(f"    d['facts'] = {{}}; s{i} = None")
        else:
            env[f"C{i}"], env[f"R{i}"] = fn, read_facts
            code.append(f"    v = C{i}(en, ev, params); s{i} = d['satisfied'] = None if v is None else bool(v); "
                        f"d['facts'] = R{i}(en, ev)")
    code.append("    outcomes = (" + "".join(f"o{i}, " for i in range(len(j.conds))) + ")")
    if j.figures:
        env["FIGURES"] = j.figures
        code.append("    figures = {name: ROUND(unit, fn(en, ev, params)) for name, unit, fn in FIGURES}")
    else:
        code.append("    figures = {}")
    for gate, op, a, b, fields in j.rest:
        env[f"F{n}"] = fields
        if op == _ALWAYS:
            code += _result_code(j, gate, n, env, "    ", before_conditions=False)
            break  # the gates after an ``always`` are never reached
        code.append(f"    if {test(op, a, b)}:")
        code += _result_code(j, gate, n, env, "        ", before_conditions=False)
        n += 1
    else:
        code.append("    raise AssertionError(PLAN.provision.id + ': no gate decided')")  # the last gate always holds
    exec("\n".join(code), env)  # noqa: S102 - the text above: local names and bound constants only
    return env["judge"]


def _result_code(j: _Judge, gate: gates.Gate, n: int, env: dict[str, Any], indent: str,
                 before_conditions: bool) -> list[str]:
    """The lines returning the result gate number ``n`` yields: its amount when it carries the formula's, its
    words (:data:`_WORDS`, worded when read), its fields over ``F<n>`` (those that do not depend on the row, in
    ``__init__``'s order), set without the frozen dataclass's per-field ``__setattr__``. A date gate before the
    conditions yields no outcomes and no figures."""
    words, args = _WORDS[gate.kind]
    env[f"W{n}"], env[f"K{n}"] = words, gate.key
    amount = gate.carries_amount and j.plan.amount is not None
    lines = ["amount_fen = None"]
    if amount:
        lines += ["yuan = AMOUNT(en, ev, params)",
                  "if yuan is not None: yuan = DECIMAL(yuan); amount_fen = max(0, TO_FEN(yuan))"]
    if before_conditions:
        lines.append("outcomes = (); figures = {}")
    lines += [f"r = NEW(RESULT); d = r.__dict__; d.update(F{n})",
              "d['event_id'] = ev.get('id'); d['decision_date'] = day",
              "d['parameters'] = shown; d['facts'] = facts; d['conditions'] = outcomes",
              # a figure is shown only where it is due: a refused claim owes no "VAT payable 0"
              "d['figures'] = figures" if gate.kind == "eligible" else "d['figures'] = {}",
              f"d['explanation'] = EXPLANATION(K{n}, W{n}, {args})"]
    if amount:
        lines += ["d['amount_fen'] = d['formula_fen'] = amount_fen",
                  "if yuan is not None: d['exact_yuan'] = max(ZERO, yuan)"]
    lines.append("return r")
    return [indent + line for line in lines]


_ZERO = Decimal(0)
_MEMOS = ("_as_dict", "_as_dict_keys")  # what as_dict keeps on a result: never carried to a changed copy


def _replace(r: ProvisionResult, **changes: Any) -> ProvisionResult:
    """``dataclasses.replace`` for a result (a step changing its amount, a total of events), without re-running
    the frozen dataclass's ``__init__``: the same fields in the same order, the changed ones replaced."""
    new = object.__new__(ProvisionResult)
    d = new.__dict__
    d.update(r.__dict__)
    for memo in _MEMOS:
        d.pop(memo, None)
    d.update(changes)
    return new


def is_referral(plan: ProvisionPlan) -> bool:
    """Whether a provision whose checkable conditions hold is a referral rather than an amount.

    Decided once, when the plan is compiled (:func:`huiqi.engine.plan.is_referral`); both the calculator
    and the batch screen read it from the plan's gates.
    """
    return plan.referral


def _round_figure(unit: str, value: Any) -> Any:
    """Money figures to the fen (四舍五入); rates keep six places."""
    if not isinstance(value, Decimal):
        return value
    places = Decimal("0.000001") if unit == "rate" else Decimal(1).scaleb(-steps.MONEY.places)
    return value.quantize(places, rounding=ROUND_HALF_UP)


_FIXED: dict[tuple, ProvisionResult] = {}  # results that depend only on (provision, applicant kind, date)


def _fixed_result(plan: ProvisionPlan, why: str, kind: ApplicantKind, as_of: dt.date) -> ProvisionResult:
    """'Not for this kind of applicant' / 'no such events': the same for every applicant, so cached."""
    key = (id(plan), why, kind, as_of)
    r = _FIXED.get(key)
    if r is None:
        reason = f"not_eligible:{why}"
        if why == "claimant":
            words = explain.Explanation(reason, explain.wrong_claimant, plan.provision.claimant, kind)
        else:
            words = explain.Explanation(reason, explain.no_events, plan.provision.subject)
        params = plan.params_on(as_of, as_of)
        r = ProvisionResult(
            **plan.static, event_id=None, decision_date=as_of, status="not_eligible", amount_fen=None,
            parameters={k: params[k] for k in plan.provision.parameters}, facts={}, conditions=(), figures={},
            explanation=words, explanation_key=reason,
        )
        if len(_FIXED) > 20000:
            _FIXED.clear()
        _FIXED[key] = r
    return r


_ROUTES: dict[tuple, tuple[object, tuple]] = {}  # (plans, applicant kind, date) → the provisions' ways, laid out
_RUN, _ON_ENTITY, _ON_EVENTS = range(3)


def _routes(plans, profile: Profile, as_of: dt.date, entity: dict) -> tuple:
    """How each provision is answered for an applicant of this kind on this date, worked out once, as
    ``(routes, stepped, where)``. ``routes`` are ``(way, what, subject, result, tracked)`` in the text's order:
    ``_RUN`` ``what`` a run of results the same for every such applicant (not for this kind of applicant; a rule
    no fact can decide), added as they are; ``_ON_ENTITY`` ``what`` the judge of a provision judged on the
    applicant; ``_ON_EVENTS`` … judged per event of ``subject``, ``result`` when there is none. ``tracked``: the
    provision takes part in a step across rows other than 就高不重复 — its rows' places are noted for the steps
    (``stepped``: those provisions' ids); ``where``: each provision's route and place in its run."""
    key = (id(plans), profile.kind, as_of)
    hit = _ROUTES.get(key)
    if hit is not None and hit[0] is plans:
        return hit[1]
    out: list[tuple] = []
    run: list[ProvisionResult] = []

    def end_run() -> None:
        if run:
            out.append((_RUN, tuple(run), None, None, False))
            run.clear()

    for plan in plans:
        p = plan.provision
        tracked = bool(plan.steps)
        if profile.kind not in CLAIMANT_KINDS[p.claimant]:
            fixed = _fixed_result(plan, "claimant", profile.kind, as_of)
        elif p.subject == "entity":
            # e.g. a referral no fact can decide: the same for every applicant (it reads none of the entity)
            fixed = _candidate(plan, entity, None, as_of) if plan.reads_no_facts else None
            if fixed is None:
                end_run()
                out.append((_ON_ENTITY, _judge_of(plan), None, None, tracked))
                continue
        else:
            end_run()
            out.append((_ON_EVENTS, _judge_of(plan), p.subject, _fixed_result(plan, "no_events", profile.kind, as_of),
                        tracked))
            continue
        if tracked:
            end_run()
            out.append((_RUN, (fixed,), None, None, True))
        else:
            run.append(fixed)
    end_run()
    if len(_ROUTES) > 4096:
        _ROUTES.clear()
    where: dict[str, tuple[int, int]] = {}  # a provision's route, and its place in a run
    for k, (way, what, *_rest) in enumerate(out):
        if way == _RUN:
            for offset, r in enumerate(what):
                where[r.provision_id] = (k, offset)
        else:
            where[what.plan.provision.id] = (k, 0)
    routes = (tuple(out), frozenset(pl.provision.id for pl in plans if pl.steps), where)
    _ROUTES[key] = (plans, routes)
    return routes


def candidates(plans, profile: Profile, as_of: dt.date, entity: dict | None = None) -> list[ProvisionResult]:
    """Every provision's candidate rows for ``profile`` on ``as_of``, in the text's order."""
    return _candidates(plans, profile, as_of, entity if entity is not None else entity_facts(profile))[0]


def _candidates(plans, profile: Profile, as_of: dt.date,
                entity: dict) -> tuple[list[ProvisionResult], list[int], frozenset[str], list[int] | None]:
    """:func:`candidates`, with the places of the rows of the provisions that take part in a step across rows
    (other than 就高不重复) and those provisions' ids: the steps read those rows only; and the places of the rows
    of the provisions ``other_support`` names (None without any), for 就高不重复."""
    events = event_facts(profile)
    routes, stepped, where = _routes(plans, profile, as_of, entity)
    out: list[ProvisionResult] = []
    at: list[int] = []
    starts: list[int] = []
    for way, what, subject, fixed, tracked in routes:
        starts.append(len(out))
        if way == _RUN:
            if tracked:
                at.append(len(out))
            out += what
        elif way == _ON_ENTITY:
            if tracked:
                at.append(len(out))
            out.append(what.run(entity, _NO_EVENT, as_of))
        else:
            rows = events.get(subject)
            if tracked:
                at.extend(range(len(out), len(out) + (len(rows) if rows else 1)))
            if not rows:
                out.append(fixed)
            else:
                run = what.run
                for ev in rows:
                    out.append(run(entity, ev, as_of))
    named = None
    if profile.other_support:
        starts.append(len(out))
        named = []
        for pid in {s.provision for s in profile.other_support}:
            k, offset = where.get(pid, (None, 0))
            if k is None:
                continue
            if routes[k][0] == _RUN:
                named.append(starts[k] + offset)
            else:
                named.extend(range(starts[k], starts[k + 1]))
        named.sort()
    return out, at, stepped, named


# -- steps across rows (huiqi.engine.steps): each kind carried out by one function ------------------
# Each takes the results, the step, the profile and, optionally, ``rows``: the places of the results it may touch
# (a superset of its provisions' rows, ascending; when not given, every result is looked at).


def _rows_of(results: list[ProvisionResult], step: steps.Step, rows: list[int] | None) -> list[int]:
    """The places of the results of the step's provisions, ascending."""
    provisions = step.provisions
    if rows is None:
        return [i for i, r in enumerate(results) if r.provision_id in provisions]
    return [i for i in rows if results[i].provision_id in provisions]


def _sum_events(results: list[ProvisionResult], step: steps.Step, profile: Profile,
                rows: list[int] | None = None) -> list[ProvisionResult]:
    """``sum_events``: the per-event rows of each provision in the step merged into one, rounded once, in the
    place of its first row (the list is given back unchanged when no provision has an event row)."""
    pending: dict[str, list[int]] = {}
    for i in _rows_of(results, step, rows):
        r = results[i]
        if r.event_id is not None:
            pending.setdefault(r.provision_id, []).append(i)
    if not pending:
        return results
    out = list(results)
    merged_away: set[int] = set()
    for places in pending.values():
        out[places[0]] = _merge([results[i] for i in places])
        merged_away.update(places[1:])
    return [r for i, r in enumerate(out) if i not in merged_away] if merged_away else out


def _event_day(r: ProvisionResult) -> dt.date:
    """The date of the event a row judged (its own, even when the provision is dated by the answer's date)."""
    day = r.facts.get("event.date")
    return day if isinstance(day, dt.date) else r.decision_date


def _merge(rows: list[ProvisionResult]) -> ProvisionResult:
    counted = [r for r in rows if r.explanation_key == "eligible"]
    left_out = [r for r in rows if r.explanation_key != "eligible"]
    first = _replace(rows[0], decision_date=min(r.decision_date for r in rows))  # dated by the earliest event
    key = gates.merged_key([r.explanation_key for r in rows])
    if key != "eligible":
        why = explain.Explanation(key, explain.merged_rows, [(_event_day(r), r.explanation) for r in rows])
        return _replace(first, event_id=None, status=gates.status_of(key), amount_fen=None, explanation=why,
                       facts={"events_counted": [], "events_left_out": [r.event_id for r in rows]},
                       explanation_key=key)
    total = sum((r.exact_yuan or Decimal(0)) for r in counted)
    fen = to_fen(total)
    why = explain.Explanation(key, explain.aggregated_of, [_event_day(r) for r in counted], fen, first.is_cap,
                              [(_event_day(r), r.explanation) for r in left_out], counted[0].conditions)
    return _replace(first, event_id=None, status="eligible", amount_fen=fen, formula_fen=fen, exact_yuan=total,
                   explanation=why, explanation_key="eligible",
                   facts={"events_counted": [r.event_id for r in counted], "events_left_out": [r.event_id for r in left_out]})


_PART = {"entity": lambda r: None,  # one applicant per evaluation
         "provision": lambda r: r.provision_id,
         "year": lambda r: r.decision_date.year}
_ORDER = {"decision_date": lambda r: r.decision_date, "event_id": lambda r: r.event_id or ""}  # a missing id first
_KEYS: dict[tuple, Callable[[ProvisionResult], tuple]] = {}


def _key_of(names: tuple[str, ...], table: dict[str, Callable]) -> Callable[[ProvisionResult], tuple]:
    """A result's key of a step's ``per`` (``table`` :data:`_PART`) or ``order`` (:data:`_ORDER`) as one function,
    composed once per list of names."""
    hit = _KEYS.get((names, id(table)))
    if hit is None:
        fs = tuple(table[n] for n in names)
        if len(fs) == 2:
            f0, f1 = fs
            hit = lambda r: (f0(r), f1(r))  # noqa: E731
        elif len(fs) == 3:
            f0, f1, f2 = fs
            hit = lambda r: (f0(r), f1(r), f2(r))  # noqa: E731
        else:
            hit = lambda r: tuple([f(r) for f in fs])  # noqa: E731
        _KEYS[(names, id(table))] = hit
    return hit


def _claims(results: list[ProvisionResult], step: steps.Step, rows: list[int] | None = None) -> list[int]:
    """The indexes of the results a cap step holds together, in the step's order."""
    statuses = step.statuses
    idx = [i for i in _rows_of(results, step, rows)
           if results[i].status in statuses and results[i].amount_fen is not None]
    if len(idx) > 1:
        order = _key_of(step.order, _ORDER)
        idx.sort(key=lambda i: order(results[i]))  # stable: ties keep the results' order
    return idx


def _round_once(results: list[ProvisionResult], step: steps.Step, profile: Profile,
                rows: list[int] | None = None) -> list[ProvisionResult]:
    """``round_once``: the claims sharing ``per`` are paid on their exact total, rounded once — each claim, in
    order, gets its part (:func:`huiqi.engine.steps.share_fen`); a part that differs from the claim's own
    rounding says so."""
    running: dict[tuple, Decimal] = defaultdict(Decimal)
    part = _key_of(step.per, _PART)
    out = results
    for i in _claims(results, step, rows):
        r = out[i]
        key = part(r)
        before, exact = running[key], r.exact_yuan or Decimal(0)
        share = steps.share_fen(before, exact)
        running[key] = before + exact
        if share != r.amount_fen:
            zh, en = explain.year_total(r.decision_date.year, to_fen(before + exact), to_fen(before), share)
            if out is results:
                out = list(results)
            out[i] = _adjust(r, share, step.name, zh, en)
    return out


def _cap(results: list[ProvisionResult], step: steps.Step, profile: Profile,
         prior: Mapping[tuple[str, int], int] | None = None, rows: list[int] | None = None) -> list[ProvisionResult]:
    """``cap``: the claims sharing ``per`` get, in order, what room the ceiling leaves (e.g. 每年最高50万元).

    ``prior``: fen already approved to this applicant per (provision, year) outside these results (the workflow
    ledger's yearly caps, :func:`evaluate`'s ``prior_use``) — counted before the first claim of a year."""
    used: dict[tuple, int] = defaultdict(int)
    part = _key_of(step.per, _PART)
    out = results
    for i in _claims(results, step, rows):
        r = out[i]
        cap_fen = to_fen(Decimal(r.parameters[step.limit]))
        key = part(r)
        if prior and "year" in step.per and key not in used:
            used[key] = prior.get((r.provision_id, r.decision_date.year), 0)
        room = max(0, cap_fen - used[key])
        if r.amount_fen > room:
            zh, en = explain.year_cap(r.decision_date.year, cap_fen, used[key], room)
            if out is results:
                out = list(results)
            out[i] = _adjust(r, room, step.name, zh, en)
        used[key] += out[i].amount_fen or 0
    return out


def _first_only(results: list[ProvisionResult], step: steps.Step, profile: Profile,
                rows: list[int] | None = None) -> list[ProvisionResult]:
    """``first_only``: a one-off award is paid for the first claim sharing ``per`` only."""
    seen: set[tuple] = set()
    part = _key_of(step.per, _PART)
    out = results
    for i in _claims(results, step, rows):
        key = part(out[i])
        if key in seen:
            zh, en = explain.once_only()
            if out is results:
                out = list(results)
            out[i] = _adjust(out[i], 0, step.name, zh, en)
        seen.add(key)
    return out


def _adjust(r: ProvisionResult, amount: int, kind: str, zh: str, en: str) -> ProvisionResult:
    """Change an eligible result's amount (or a referral's ceiling), saying why; brought to nothing, it is not eligible."""
    key = gates.adjusted_key(r.status, amount, kind)
    status: Status = gates.status_of(key)  # type: ignore[assignment]
    adjustments = r.adjustments + ({"type": kind, "zh": zh, "en": en},)
    why = explain.Explanation(key, explain.adjusted, r.formula_fen or 0, amount, r.is_cap, [a["zh"] for a in adjustments],
                              [a["en"] for a in adjustments], r.status == "referral")
    return _replace(r, amount_fen=amount if amount > 0 else None, status=status, explanation=why,
                   adjustments=adjustments, explanation_key=key)


def _overlap(results: list[ProvisionResult], step: steps.Step, profile: Profile,
             rows: list[int] | None = None) -> list[ProvisionResult]:
    """就高不重复: the enterprise ends with the higher of the two for the same matter, never both.

    ``received`` is every support already received for the same matter (``other_support`` naming this
    provision and this event, or the provision without an event; for a provision paid on a total of events,
    any of the events counted), added up: money already held. The city pays ``max(0, ours − received)``, so
    ours + received paid in all is ``max(ours, received)``. Both strategies pay exactly this — the text
    leaves no room for another figure — and differ only in how the explanation words it
    (docs/engine.md, "就高不重复"). A referral carrying a ceiling is lowered the same way: the department
    can pay at most what brings the enterprise up to that ceiling.
    """
    if not profile.other_support:
        return results
    received: dict[str, list] = {}  # the support received, by the provision it is for, in the profile's order
    for s in profile.other_support:
        received.setdefault(s.provision, []).append(s)
    out = results
    for i in (range(len(results)) if rows is None else rows):
        r = results[i]
        support = received.get(r.provision_id)
        if (support is None or r.amount_fen is None or r.status not in step.statuses
                or r.provision_id not in step.provisions):
            continue
        events = {r.event_id} if r.event_id is not None else set(r.facts.get("events_counted") or ())
        same = [s for s in support if s.event_id is None or s.event_id in events]
        if not same:
            continue
        received_fen = sum(to_fen(s.amount) for s in same)
        amount = max(0, r.amount_fen - received_fen)
        levels = list(dict.fromkeys(s.level for s in same))
        zh, en = explain.overlap(step.strategy, levels, received_fen, r.amount_fen, amount)
        if out is results:
            out = list(results)
        out[i] = _adjust(r, amount, step.name, zh, en)
    return out


# The calculator's side of huiqi.engine.steps: one function per step kind (the batch compiler has its own
# registry, huiqi.batch.compile.STEP_EMITTERS; tests/test_steps.py checks both name every kind).
STEP_EXECUTORS = {"sum_events": _sum_events, "round_once": _round_once, "cap": _cap, "first_only": _first_only, "overlap": _overlap}


def run_steps(results: list[ProvisionResult], pipeline: tuple[steps.Step, ...], profile: Profile,
              prior_use: Mapping[tuple[str, int], int] | None = None) -> list[ProvisionResult]:
    return _run_steps(results, pipeline, profile, prior_use, (), frozenset(), None)


_PROVISION_ID = operator.attrgetter("provision_id")


def _run_steps(results: list[ProvisionResult], pipeline: tuple[steps.Step, ...], profile: Profile,
               prior_use: Mapping[tuple[str, int], int] | None, at: list[int] | tuple,
               stepped: frozenset[str], named: list[int] | None) -> list[ProvisionResult]:
    """:func:`run_steps`, a step whose provisions are all ``stepped`` reading only the rows ``at`` (the places of
    those provisions' rows): every other result is one no such step can change. 就高不重复, which applies to
    every provision, looks only at the rows of provisions the applicant names support for (``named``, their
    places among the candidates, when known)."""
    for step in pipeline:
        rows = at if len(step.provisions) <= len(stepped) and step.provisions <= stepped else None
        if step.kind == "overlap" and rows is None and profile is not None and profile.other_support:
            if named is None:
                support = {s.provision for s in profile.other_support}
                named = [i for i, pid in enumerate(map(_PROVISION_ID, results)) if pid in support]
            rows = named
        if prior_use and step.kind == "cap":  # what a yearly ceiling has already given, from outside the profile
            done = _cap(results, step, profile, prior_use, rows=rows)
        else:
            done = STEP_EXECUTORS[step.kind](results, step, profile, rows=rows)
        if len(done) != len(results):  # rows merged (a total of events): the places move
            at = [i for i, r in enumerate(done) if r.provision_id in stepped] if stepped else at
            named = None
        results = done
    return results


# -- the whole pipeline ----------------------------------------------------------------------


class ProfileError(ValueError):
    """The profile is well-formed but names something this policy does not have."""

    def __init__(self, field: str, zh: str, en: str):
        super().__init__(f"{field}: {en}")
        self.field, self.zh, self.en = field, zh, en


_IDS: dict[int, tuple[Policy, frozenset[str]]] = {}


def _provision_ids(policy: Policy) -> frozenset[str]:
    """The policy's provision ids, gathered once per loaded policy."""
    hit = _IDS.get(id(policy))
    if hit is None or hit[0] is not policy:
        if len(_IDS) > 64:
            _IDS.clear()
        hit = _IDS[id(policy)] = (policy, frozenset(p.id for p in policy.provisions()))
    return hit[1]


def check_against_policy(policy: Policy, profile: Profile) -> None:
    """Codes in the profile that only the policy can check: provision ids and event ids it refers to (an unknown
    code in ``other_support`` is named before a duplicate event id)."""
    event_ids: set[str] = set()
    duplicate: ProfileError | None = None
    for name, events in profile.event_lists().items():  # one pass: every list's ids, and its first repeated one
        if not events:
            continue
        seen: set[str] = set()
        for i, e in enumerate(events):
            eid = e.id
            if eid is None:
                continue
            if eid in seen and duplicate is None:
                duplicate = ProfileError(f"{name}[{i}].id", f"事项编号“{eid}”重复", f"duplicate event id '{eid}'")
            seen.add(eid)
        event_ids |= seen
    event_ids.discard("")  # an empty id names no event
    if profile.other_support:
        known = _provision_ids(policy)
        for i, s in enumerate(profile.other_support):
            if s.provision not in known:
                raise ProfileError(f"other_support[{i}].provision", f"未知的政策条款编号“{s.provision}”",
                                   f"unknown provision id '{s.provision}'")
            if s.event_id is not None and s.event_id not in event_ids:
                raise ProfileError(f"other_support[{i}].event_id", f"事项编号“{s.event_id}”不在画像中",
                                   f"event id '{s.event_id}' is not in the profile")
    if duplicate is not None:
        raise duplicate


def evaluate(policy: Policy, profile: Profile, as_of: dt.date, strategy: Strategy | None = None,
             prior_use: Mapping[tuple[str, int], int] | None = None) -> Evaluation:
    """Every provision of ``policy`` for ``profile`` on ``as_of``. Raises ProfileError for unknown codes.

    ``prior_use`` — fen already approved to this applicant per (provision id, year) under a yearly ceiling, for
    claims not in the profile (the calculator of a signed-in enterprise feeds the workflow ledger in): the
    ``cap`` step starts each year from it, so a used-up year is said to be used up."""
    strategy = strategy or policy.header.general.overlap.default_strategy
    if strategy not in policy.header.general.overlap.strategies:
        raise ProfileError("strategy", f"未知的就高不重复策略“{strategy}”", f"unknown overlap strategy '{strategy}'")
    check_against_policy(policy, profile)
    plans = plan_for(policy)
    entity = entity_facts(profile)
    rows, at, stepped, named = _candidates(plans, profile, as_of, entity)
    results = _run_steps(rows, steps.pipeline(plans, strategy), profile, prior_use, at, stepped, named)
    derived = {k: entity.get(k) for k in ("size_class", "industry_section", "is_industrial", "is_internet_software",
                                          "is_commerce", "is_sme", "is_main_urban")}
    return Evaluation(policy.header.id, policy.version, as_of, strategy, profile.id, profile.name, derived, results)

