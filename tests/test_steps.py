"""The steps across rows are declared once (huiqi/engine/steps.py) and both back-ends carry out every kind.

The calculator dispatches on a step's kind through ``STEP_EXECUTORS``, the batch compiler through
``STEP_EMITTERS``: a kind declared without one of the two fails here, before any result can differ.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from huiqi.batch import compile as batch_compile
from huiqi.catalogue import all_policies
from huiqi.engine import evaluate as calculator
from huiqi.engine import steps
from huiqi.engine.plan import plan_for

POLICIES = all_policies()


def test_both_back_ends_carry_out_every_declared_kind():
    assert set(steps.STEP_KINDS) == set(calculator.STEP_EXECUTORS) == set(batch_compile.STEP_EMITTERS)
    assert len(set(steps.STEP_KINDS)) == len(steps.STEP_KINDS)


@pytest.mark.parametrize("policy", POLICIES, ids=[p.header.id for p in POLICIES])
def test_every_step_a_policy_declares_has_both_executors(policy):
    plans = plan_for(policy)
    for strategy in policy.header.general.overlap.strategies:
        pipeline = steps.pipeline(plans, strategy)
        kinds = [s.kind for s in pipeline]
        assert kinds == sorted(kinds, key=steps.STEP_KINDS.index)  # the declared order
        assert kinds[-1] == "overlap" and pipeline[-1].strategy == strategy
        for step in pipeline:
            assert step.kind in calculator.STEP_EXECUTORS and step.kind in batch_compile.STEP_EMITTERS
            assert step.provisions <= {pl.provision.id for pl in plans} and step.provisions
        # every provision's own steps are in the pipeline, applied to it
        for pl in plans:
            for own in pl.steps:
                assert any(s.kind == own.kind and s.name == own.name and pl.provision.id in s.provisions for s in pipeline)


def test_the_query_has_one_part_per_declared_step():
    """The screen's common table expressions are the candidates (the applicants with events, the rows the steps
    take, the others, both together), then what each step's emitter built."""
    policy = POLICIES[0]
    pipeline = steps.pipeline(plan_for(policy), policy.header.general.overlap.default_strategy)
    tree = batch_compile.screen_tree(policy, dt.date(2024, 10, 1))
    names = [c.alias for c in tree.find(exp.With).expressions]
    candidates = ("cand", "plain", "cand_all", batch_compile.WITH_EVENTS, "meta")
    produced = [n for n in names if n not in candidates and not n.endswith("_received")]
    assert produced == [f"{s.kind}_{i}" for i, s in enumerate(pipeline)]


def test_a_kind_without_an_executor_is_refused(monkeypatch):
    """Declaring a kind one back-end lacks cannot go unnoticed: the dispatch itself refuses it."""
    bogus = steps.Step("bogus")  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        calculator.run_steps([], (bogus,), None)
    with pytest.raises(KeyError):
        batch_compile.STEP_EMITTERS[bogus.kind]


def test_steps_follow_the_measure_files():
    """A yearly cap needs a ``cap`` parameter; a one-off award on the applicant itself needs no step."""
    assert steps.provision_steps("sum", None, (), "guarantees") == (steps.SUM_EVENTS,)
    assert steps.provision_steps(None, "per_year", ("rate", "cap"), "compute_claims") == (steps.YEAR_TOTAL, steps.YEAR_CAP)
    assert steps.provision_steps(None, "per_year", ("rate",), "compute_claims") == (steps.YEAR_TOTAL,)
    assert steps.provision_steps("sum", "per_year", ("rate", "cap"), "guarantees") == (steps.SUM_EVENTS, steps.YEAR_CAP)
    assert steps.provision_steps(None, "once", (), "recognitions") == (steps.ONCE,)
    assert steps.provision_steps(None, "once", (), "entity") == ()
    assert steps.YEAR_CAP.per == ("entity", "provision", "year")  # 每家企业每年
    assert steps.YEAR_TOTAL.per == steps.YEAR_CAP.per and steps.YEAR_TOTAL.order == steps.YEAR_CAP.order


# -- the one rounding rule, on both sides ----------------------------------------------------------

_CON = duckdb.connect()


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=Decimal("0"), max_value=Decimal("100000000"), places=8, allow_nan=False))
def test_rounding_is_the_same_rule_on_both_sides(yuan):
    sql = steps.fen_sql(exp.cast(exp.Literal.number(format(yuan, "f")), exp.DataType.build("DECIMAL(38,8)")))
    assert _CON.execute("SELECT " + sql.sql(dialect="duckdb")).fetchone()[0] == steps.to_fen(yuan)


@pytest.mark.parametrize("yuan,fen", [("0.005", 1), ("0.004999", 0), ("0.015", 2), ("1.125", 113), ("0", 0),
                                      ("499999.995", 50_000_000)])
def test_rounding_is_half_up_to_the_fen(yuan, fen):
    assert steps.to_fen(Decimal(yuan)) == fen
    sql = steps.fen_sql(exp.cast(exp.Literal.number(yuan), exp.DataType.build("DECIMAL(38,8)")))
    assert _CON.execute("SELECT " + sql.sql(dialect="duckdb")).fetchone()[0] == fen
    assert "ROUND(" in sql.sql(dialect="spark")
