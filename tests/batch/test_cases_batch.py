"""The department's YAML cases (tests/cases/m*.yaml) run through the batch screen too.

Each case's profile becomes one entity of a registry — one registry (CSV) per (as_of, strategy), one
DuckDB connection for them all — screened by the SQL path with every referral written as a row. For
each expectation, the batch's row (where the batch reports that result, :func:`batch_visible`) must
have the case's status, amount and cap flag; where the batch does not report it, there must be no
row. A profile the calculator refuses (``expect_error``) is refused by the batch's row checks too.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from huiqi.batch.compile import batch_visible
from huiqi.batch.inputs import register_registry
from huiqi.batch.schema import ALL_TABLES, ENTITY_TABLE, EVENT_TABLES, SUPPORT_TABLE, table_columns
from huiqi.batch.screen import connect, run_rules_duckdb
from huiqi.batch.validate import prepare
from huiqi.catalogue import get_policy
from huiqi.engine.cases import load_cases
from huiqi.engine.evaluate import evaluate
from huiqi.engine.plan import plan_for
from huiqi.profile.model import Profile

CASES = Path(__file__).resolve().parents[1] / "cases"
POLICY = get_policy()
PLANS = {pl.provision.id: pl for pl in plan_for(POLICY)}


def _all_cases():
    out = []
    for path in sorted(CASES.glob("m*.yaml")):
        cf = load_cases(path)
        if cf.policy not in (None, POLICY.header.id):
            continue
        out += [(f"{path.stem}#{i}", c) for i, c in enumerate(cf.cases)]
    return out


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        raise TypeError("a list in a registry cell")
    return str(v)


def _write_registry(path: Path, entities: dict[str, dict]) -> None:
    """One entity per profile (its raw fields, as a department's spreadsheet would carry them)."""
    tables: dict[str, list[dict]] = defaultdict(list)
    for eid, profile in entities.items():
        standing = {k: v for k, v in profile.items() if k not in (*EVENT_TABLES, SUPPORT_TABLE, "id")}
        tables[ENTITY_TABLE].append({**standing, "entity_id": eid})
        for t in (*EVENT_TABLES, SUPPORT_TABLE):
            for row in profile.get(t) or []:
                tables[t].append({**row, "entity_id": eid})
    for table in ALL_TABLES:
        cols = [c.name for c in table_columns(table)]
        with (path / f"{table}.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(cols)
            for r in tables.get(table, []):
                unknown = set(r) - set(cols)
                assert not unknown, (table, unknown)
                w.writerow([_cell(r.get(c)) for c in cols])


def _yuan(fen):
    return None if fen is None else (Decimal(fen) / 100).quantize(Decimal("0.01"))


@pytest.fixture(scope="module")
def batch_results(tmp_path_factory):
    """(case id → batch rows by (provision, event), case id → rejects, case id → calculator results)."""
    groups: dict[tuple, list] = defaultdict(list)
    for cid, case in _all_cases():
        groups[(case.as_of, case.strategy)].append((cid, case))
    rows: dict[str, dict] = {}
    rejects: dict[str, list] = {}
    con = connect()
    for n, ((as_of, strategy), cases) in enumerate(sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))):
        path = tmp_path_factory.mktemp(f"cases{n}")
        ids = {f"C{i:04d}": (cid, case) for i, (cid, case) in enumerate(cases)}
        _write_registry(path, {eid: case.profile for eid, (cid, case) in ids.items()})
        prepare(con, set(register_registry(con, path)), [p.id for p in POLICY.provisions()])
        run_rules_duckdb(con, POLICY, as_of, strategy, referral_rows=True)
        got: dict[str, dict] = defaultdict(dict)
        for eid, pid, ev, status, fen, is_cap, key in con.execute(
                "SELECT entity_id, provision_id, event_id, status, amount_fen, is_cap, explanation_key FROM screened").fetchall():
            got[eid][(pid, ev)] = (status, fen, is_cap, key)
        bad: dict[str, list] = defaultdict(list)
        for table, eid, reason in con.execute('SELECT "table", entity_id, reason FROM rejects').fetchall():
            bad[eid].append((table, reason))
        for eid, (cid, _) in ids.items():
            rows[cid] = got.get(eid, {})
            rejects[cid] = bad.get(eid, [])
    con.close()
    return rows, rejects


ALL = _all_cases()


def test_there_are_the_411_cases():
    assert len(ALL) >= 411


@pytest.mark.parametrize("cid,case", ALL, ids=[c for c, _ in ALL])
def test_case_through_the_batch(batch_results, cid, case):
    rows, rejects = batch_results
    if case.expect_error:
        # refused by the calculator; the batch rejects the row naming the same field
        field = case.expect_error.split("[", 1)[0], case.expect_error.rsplit(".", 1)[-1]
        assert any(t == field[0] and reason.startswith(field[1] + ":") for t, reason in rejects[cid]), rejects[cid]
        return
    assert not rejects[cid], rejects[cid]
    strategy = case.strategy
    results = evaluate(POLICY, Profile.model_validate(case.profile), case.as_of, strategy).results
    batch = rows[cid]
    seen = set()
    for key, exp in case.expect.items():
        pid, _, event = key.partition("@")
        [r] = [r for r in results if r.provision_id == pid and (not event or r.event_id == event)]
        k = (pid, r.event_id)
        seen.add(k)
        if not batch_visible(r, PLANS[pid]):
            assert k not in batch, (key, batch.get(k))
            continue
        assert k in batch, (key, "no batch row", r.status, r.explanation_key)
        status, fen, is_cap, _ = batch[k]
        if exp.status:
            assert status == exp.status, (key, status, batch[k])
        if exp.amount is not None:
            assert _yuan(fen) == exp.amount.quantize(Decimal("0.01")), (key, fen)
        if exp.no_amount:
            assert fen is None, (key, fen)
        if exp.is_cap is not None:
            assert is_cap == exp.is_cap, (key, is_cap)
    # beyond the expectations: every batch row equals the calculator's visible result (status, amount, cap, key)
    calc = {(r.provision_id, r.event_id): (r.status, r.amount_fen, r.is_cap, r.explanation_key)
            for r in results if batch_visible(r, PLANS[r.provision_id])}
    assert calc == batch, {k: (calc.get(k), batch.get(k)) for k in set(calc) | set(batch) if calc.get(k) != batch.get(k)}
    if case.expect_total is not None:
        # the total of money counts only eligible results; the batch carries them all unless a provision reads no fact
        hidden = [r for r in results if r.status == "eligible" and not batch_visible(r, PLANS[r.provision_id])]
        if not hidden:
            money = {"fixed_award", "capped_award", "share_with_cap", "tax_relief"}
            total = sum(fen for (pid, _), (status, fen, _, _) in batch.items()
                        if status == "eligible" and fen is not None and PLANS[pid].provision.kind.value in money)
            assert _yuan(total) == case.expect_total.quantize(Decimal("0.01")), (total, case.expect_total)
