"""The calculator reads each provision's gates laid out by position (huiqi.engine.evaluate._Judge); the gates'
own reading, :func:`huiqi.engine.gates.holds`, is the reference. Every candidate row of every case profile, on a
few dates, must carry the key of the first gate ``holds`` finds for that row's dates and condition values — a
gate the fast path skipped, reordered or read against the wrong date fails here."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from huiqi.catalogue import get_policy
from huiqi.engine import evaluate, gates
from huiqi.engine.cases import load_cases
from huiqi.engine.plan import plan_for
from huiqi.profile.model import profile_model

CASES = Path(__file__).parent / "cases"
DATES = (dt.date(2023, 1, 1), dt.date(2024, 6, 30), dt.date(2024, 10, 1), dt.date(2025, 12, 31))


def _reference_key(plan, row, as_of: dt.date) -> str:
    """The first gate that holds for ``row`` by :func:`gates.holds`."""
    event_date = row.facts.get("event.date") if row.event_id is not None else None
    if row.event_id is not None and event_date is None:  # the event's date is not a fact the provision reads
        event_date = row.decision_date if plan.on_event_day else None
    dates = {"event_date": event_date, "day": row.decision_date, "as_of": as_of,
             "in_force_start": plan.period.start, "in_force_end": plan.period.end}
    truth = [c.satisfied for c in row.conditions] if row.conditions else None
    for gate in plan.gates:
        if gate.test.op in ("is_false", "is_null") and truth is None:
            raise AssertionError(f"{plan.provision.id}: no condition was tested, yet no date gate decided")
        if gate.test.op in ("after", "before") and None in (dates[gate.test.left], dates[gate.test.right]):
            continue  # a date this row does not know: the fixture cannot check that gate
        if gates.holds(gate.test, dates, truth):
            return gate.key
    raise AssertionError("the last gate always holds")


@pytest.mark.parametrize("path", sorted(CASES.glob("m*.yaml")), ids=lambda p: p.stem)
def test_every_candidate_row_has_the_key_the_reference_reading_gives(path):
    policy = get_policy()
    plans = {pl.provision.id: pl for pl in plan_for(policy)}
    model = profile_model(policy)
    checked = 0
    for case in load_cases(path).cases:
        try:
            profile = model.model_validate(case.profile)
        except ValueError:
            continue  # a case whose profile is meant to be refused
        for as_of in (case.as_of, *DATES):
            for row in evaluate.candidates(plan_for(policy), profile, as_of):
                plan = plans[row.provision_id]
                if row.explanation_key in ("not_eligible:claimant", "not_eligible:no_events"):
                    continue  # decided before the gates: not for this applicant, or no such events
                assert row.explanation_key == _reference_key(plan, row, as_of), (case.name, as_of, row.provision_id)
                checked += 1
    assert checked > 0
