"""Concurrent approvals never overspend a pool nor pass an entity's yearly cap — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import update

from huiqi.catalogue import get_policy
from huiqi.storage.models import Pool
from huiqi.workflow import accounts, ledger, service

AS_OF = dt.date(2024, 12, 1)
POOL = "m07.compute_voucher_pool"


def _setup(db, n_entities: int, claims_per_entity: int, spend: str):
    """Applications under review: n entities × k compute claims each (30% of spend each)."""
    with db.transaction() as s:
        ledger.ensure_pools(s, get_policy())
        reviewer = accounts.create_user(s, "rev", "password-123", "reviewer", department="市工业和信息化局")
        app_ids = []
        for e in range(n_entities):
            from huiqi.standards.uscc import make_uscc

            code = make_uscc(f"91530100{e:09d}")
            user = accounts.create_user(s, f"ent{e}", "password-123", "applicant", credit_code=code)
            for i in range(claims_per_entity):
                # one claim per application, as an enterprise applies claim by claim through the year:
                # the yearly cap is then enforced at approval, by the ledger, not by the engine
                profile = {"kind": "enterprise", "name": f"企业{e}", "credit_code": code,
                           "compute_claims": [{"id": f"c{i}", "date": f"2024-{4 + i % 8:02d}-{1 + i // 8:02d}",
                                               "category": "compute_rental", "spend": spend}]}
                app = service.create(s, user, profile, "m07.compute_voucher", f"c{i}")
                service.submit(s, user, app.id, AS_OF)
                service.start_review(s, reviewer, app.id)
                app_ids.append(app.id)
    return reviewer, app_ids


def _approve_all(db, reviewer, app_ids, amount_fen):
    def one(app_id):
        try:
            with db.transaction() as s:
                service.approve(s, reviewer, app_id, amount_fen)
            return "approved"
        except (ledger.InsufficientFunds, service.Refused) as e:
            return f"refused: {type(e).__name__}"

    with ThreadPoolExecutor(max_workers=len(app_ids)) as pool:
        return list(pool.map(one, app_ids))


def test_fifty_approvals_of_300k_with_1m_left_give_exactly_three(db):
    reviewer, ids = _setup(db, n_entities=50, claims_per_entity=1, spend="1000000.00")  # 300,000 each
    for round_ in range(5):
        with db.transaction() as s:  # exactly 1,000,000 yuan available
            s.execute(update(Pool).where(Pool.id == POOL).values(total_fen=100_000_000, reserved_fen=0, settled_fen=0))
            if round_:
                from sqlalchemy import text

                s.execute(text("DELETE FROM ledger_entries"))
                s.execute(text("DELETE FROM entity_caps"))
                s.execute(text("UPDATE applications SET status = 'under_review', approved_fen = NULL"))
        outcomes = _approve_all(db, reviewer, ids, 30_000_000)
        assert outcomes.count("approved") == 3, outcomes
        assert outcomes.count("refused: InsufficientFunds") == 47
        with db.transaction() as s:
            pool = s.get(Pool, POOL)
            assert pool.reserved_fen == 90_000_000 and pool.total_fen - pool.reserved_fen - pool.settled_fen >= 0
            assert ledger.reconcile(s).ok


def test_twenty_claims_of_100k_against_the_500k_yearly_cap_give_exactly_five(db):
    from sqlalchemy import text

    reviewer, ids = _setup(db, n_entities=1, claims_per_entity=20, spend="333333.34")  # 100,000.00 each
    for round_ in range(3):
        if round_:
            with db.transaction() as s:
                s.execute(text("DELETE FROM ledger_entries"))
                s.execute(text("DELETE FROM entity_caps"))
                s.execute(text("UPDATE applications SET status = 'under_review', approved_fen = NULL"))
                s.execute(update(Pool).where(Pool.id == POOL).values(reserved_fen=0, settled_fen=0))
        outcomes = _approve_all(db, reviewer, ids, 10_000_000)
        assert outcomes.count("approved") == 5, outcomes
        assert outcomes.count("refused: InsufficientFunds") == 15
        with db.transaction() as s:
            assert ledger.reconcile(s).ok
            assert s.get(Pool, POOL).reserved_fen == 50_000_000
