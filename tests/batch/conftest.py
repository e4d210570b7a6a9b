"""A synthetic registry of 20,000 entities, generated once per test session, and its DuckDB screen."""

from __future__ import annotations

import datetime as dt

import pytest

from huiqi.batch.compile import batch_visible
from huiqi.batch.inputs import register_registry
from huiqi.batch.screen import connect, run_rules_duckdb
from huiqi.batch.synth import generate, write
from huiqi.batch.validate import prepare
from huiqi.catalogue import get_policy

AS_OF = dt.date(2024, 10, 1)
N = 20_000


@pytest.fixture(scope="session")
def registry(tmp_path_factory):
    path = tmp_path_factory.mktemp("registry")
    write(generate(N, seed=2024), path)
    return path


@pytest.fixture(scope="session")
def screened(registry):
    """A prepared DuckDB connection holding `screened` for the registry."""
    policy = get_policy()
    con = connect()
    prepare(con, set(register_registry(con, registry)), [p.id for p in policy.provisions()])
    run_rules_duckdb(con, policy, AS_OF, None)
    yield con
    con.close()


def rows_of(con, table: str = "screened", entity_ids=None) -> dict[str, set]:
    sql = f"SELECT entity_id, provision_id, event_id, status, amount_fen, is_cap, explanation_key FROM {table}"
    params = []
    if entity_ids is not None:
        sql += " WHERE entity_id IN (SELECT unnest(?))"
        params = [list(entity_ids)]
    out: dict[str, set] = {}
    for r in con.execute(sql, params).fetchall():
        out.setdefault(r[0], set()).add(tuple(r[1:]))
    return out


def calculator_rows(policy, profile, plans) -> set:
    from huiqi.engine.evaluate import evaluate

    return {
        (x.provision_id, x.event_id, x.status, x.amount_fen, x.is_cap, x.explanation_key)
        for x in evaluate(policy, profile, AS_OF).results
        if batch_visible(x, plans[x.provision_id])
    }


@pytest.fixture(scope="session")
def helpers():
    """rows_of and calculator_rows, for test modules (the tests folder is not a package)."""
    import types

    return types.SimpleNamespace(rows_of=rows_of, calculator_rows=calculator_rows, N=N, AS_OF=AS_OF)
