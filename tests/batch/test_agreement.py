"""The batch screen and the calculator agree, entity by entity (differential, hypothesis-driven)."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi.batch.profiles import profiles_for
from huiqi.catalogue import get_policy
from huiqi.engine.plan import plan_for


POLICY = get_policy()
PLANS = {pl.provision.id: pl for pl in plan_for(POLICY)}


def test_registry_is_screened_in_full(screened, helpers):
    assert screened.execute("SELECT count(*) FROM entities_f").fetchone()[0] == helpers.N
    assert screened.execute("SELECT count(*) FROM rejects").fetchone()[0] == 0
    statuses = dict(screened.execute("SELECT status, count(*) FROM screened GROUP BY 1").fetchall())
    assert statuses["eligible"] > 500 and statuses["not_eligible"] > 0 and statuses["referral"] > 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=1, max_value=20_000), min_size=5, max_size=25, unique=True))
def test_calculator_agrees_with_batch_rows(screened, helpers, numbers):
    ids = [f"E{n:08d}" for n in numbers]
    batch = helpers.rows_of(screened, entity_ids=ids)
    profiles = profiles_for(screened, ids)
    for eid in ids:
        assert helpers.calculator_rows(POLICY, profiles[eid], PLANS) == batch.get(eid, set()), eid


def test_every_entity_with_events_agrees(screened, helpers):
    """Beyond the random sample: every entity that has a compute claim, a guarantee or support from another level."""
    ids = [r[0] for r in screened.execute("""
        SELECT entity_id FROM ev_compute_claims UNION SELECT entity_id FROM ev_guarantees
        UNION SELECT entity_id FROM support UNION SELECT entity_id FROM ev_vehicles LIMIT 600""").fetchall()]
    batch = helpers.rows_of(screened, entity_ids=ids)
    profiles = profiles_for(screened, ids)
    mismatched = [eid for eid in ids if helpers.calculator_rows(POLICY, profiles[eid], PLANS) != batch.get(eid, set())]
    assert not mismatched


def test_agreement_after_the_policy_expired(registry, helpers):
    """At 2025-02-15 the expired paths are exercised: claims made in time still count, later ones are expired."""
    import datetime as dt

    from huiqi.batch.inputs import register_registry
    from huiqi.batch.screen import connect, run_rules_duckdb
    from huiqi.batch.validate import prepare
    from huiqi.engine.evaluate import evaluate

    day = dt.date(2025, 2, 15)
    con = connect()
    prepare(con, set(register_registry(con, registry)), [p.id for p in POLICY.provisions()])
    run_rules_duckdb(con, POLICY, day, None)
    assert con.execute("SELECT count(*) FROM screened WHERE status = 'expired'").fetchone()[0] > 100
    ids = [r[0] for r in con.execute("SELECT DISTINCT entity_id FROM screened ORDER BY hash(entity_id) LIMIT 300").fetchall()]
    batch = helpers.rows_of(con, entity_ids=ids)
    profiles = profiles_for(con, ids)
    from huiqi.batch.compile import batch_visible

    for eid in ids:
        calc = {(x.provision_id, x.event_id, x.status, x.amount_fen, x.is_cap, x.explanation_key)
                for x in evaluate(POLICY, profiles[eid], day).results if batch_visible(x, PLANS[x.provision_id])}
        assert calc == batch.get(eid, set()), eid
    con.close()


def test_referral_counts_equal_the_referral_rows(registry, screened):
    """By default entity-level referrals are counted by district, not written per entity: the counts must match."""
    from huiqi.batch.inputs import register_registry
    from huiqi.batch.screen import connect, run_rules_duckdb
    from huiqi.batch.validate import prepare

    con = connect()
    prepare(con, set(register_registry(con, registry)), [p.id for p in POLICY.provisions()])
    run_rules_duckdb(con, POLICY, dt.date(2024, 10, 1), None, referral_rows=False)
    counted = dict(con.execute("SELECT provision_id || '@' || district, sum(referrals) FROM referral_counts GROUP BY 1").fetchall())
    as_rows = dict(screened.execute("""
        SELECT s.provision_id || '@' || s.district, count(*) FROM screened s
        WHERE s.status = 'referral' AND s.event_id IS NULL GROUP BY 1""").fetchall())
    assert counted == as_rows and sum(counted.values()) > 1000
    kept = con.execute("SELECT count(*) FROM screened").fetchone()[0]
    assert kept == screened.execute("SELECT count(*) FROM screened").fetchone()[0] - sum(as_rows.values())
    con.close()
