"""Concurrent approvals never overspend a pool nor pass an enterprise's yearly cap (SQLite and PostgreSQL).

Each thread approves a different application in its own ``db.transaction()`` through
huiqi.workflow.service, as the API does; a barrier releases them together and a watcher samples
the pool meanwhile. Every round is repeated, because a race that loses once in five is still a race.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from huiqi.catalogue import get_policy
from huiqi.standards.uscc import make_uscc
from huiqi.storage.models import Application, EntityCap, Pool
from huiqi.workflow import accounts, audit, ledger, service

POOL = "kunming_2024/m07.compute_voucher_pool"  # the ledger key: <policy>/<pool>
PROVISION = "m07.compute_voucher"
AS_OF = dt.date(2024, 12, 1)
ROUNDS = 5


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch):
    """argon2 at production cost takes ~0.1 s a user; these tests are about money, not passwords."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def _people(db, n_enterprises: int):
    with db.transaction() as s:
        ledger.ensure_pools(s, get_policy())
        reviewer = accounts.create_user(s, "rev", "password-123", "reviewer", department="市工业和信息化局")
        finance = accounts.create_user(s, "fin", "password-123", "finance")
        ents = [accounts.create_user(s, f"ent{i}", "password-123", "applicant", credit_code=make_uscc(f"91530100{i:09d}"))
                for i in range(n_enterprises)]
    return reviewer, finance, ents


def _under_review(db, reviewer, applicants, spend: str) -> list[int]:
    """One application per (applicant, claim), submitted and under review.

    One claim per application's profile: the engine applies the yearly cap within one profile, so a
    profile listing all the claims would stop at the cap before the ledger is tested; an enterprise
    that applies claim by claim through the year meets the cap only at approval, in the ledger."""
    ids = []
    with db.transaction() as s:
        for user, claim in applicants:
            profile = {"kind": "enterprise", "name": f"企业{user.username}", "credit_code": user.credit_code,
                       "compute_claims": [{"id": claim, "date": _claim_date(claim), "category": "compute_rental",
                                           "spend": spend}]}
            app = service.create(s, user, profile, PROVISION, claim)
            service.submit(s, user, app.id, AS_OF)
            service.start_review(s, reviewer, app.id)
            ids.append(app.id)
    return ids


def _claim_date(claim: str) -> str:
    n = int(claim.lstrip("rc").replace("_", "")) % 200
    return (dt.date(2024, 4, 1) + dt.timedelta(days=n)).isoformat()


def _set_available(db, available_fen: int) -> None:
    """Make exactly ``available_fen`` available: total = reserved + settled + available."""
    with db.transaction() as s:
        s.execute(update(Pool).where(Pool.id == POOL)
                  .values(total_fen=Pool.reserved_fen + Pool.settled_fen + available_fen))


def _race(db, reviewer, app_ids, amount_fen) -> tuple[list[str], int]:
    """Approve every application at once; return the outcomes and the lowest available balance seen."""
    barrier = threading.Barrier(len(app_ids))
    done = threading.Event()
    lowest = [None]

    def watch():
        while not done.is_set():
            with db.engine.connect() as c:
                p = c.execute(select(Pool.total_fen, Pool.reserved_fen, Pool.settled_fen).where(Pool.id == POOL)).one()
            available = p.total_fen - p.reserved_fen - p.settled_fen
            lowest[0] = available if lowest[0] is None else min(lowest[0], available)
            done.wait(0.005)

    def one(app_id):
        barrier.wait()
        try:
            with db.transaction() as s:
                service.approve(s, reviewer, app_id, amount_fen, "按审核核定")
            return "approved"
        except ledger.InsufficientFunds as e:
            return "refused: cap" if "上限" in str(e) else "refused: pool" if POOL in str(e) else f"refused: {e}"
        except service.Refused as e:
            return f"refused: {e}"
        except Exception as e:  # noqa: BLE001 - any other exception is the failure we look for
            return f"ERROR {type(e).__name__}: {e}"

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(max_workers=len(app_ids)) as pool:
            outcomes = list(pool.map(one, app_ids))
    finally:
        done.set()
        watcher.join()
    return outcomes, lowest[0]


def _check_books(db, expect_reserved_fen: int) -> None:
    with db.transaction() as s:
        pool = s.get(Pool, POOL)
        assert pool.reserved_fen == expect_reserved_fen
        assert pool.total_fen - pool.reserved_fen - pool.settled_fen >= 0
        rec = ledger.reconcile(s)
        assert rec.ok, rec.problems
        assert audit.verify(s).ok


def test_fifty_approvals_of_300k_with_1m_available_give_exactly_three(db):
    reviewer, finance, ents = _people(db, 50)
    for r in range(ROUNDS):
        ids = _under_review(db, reviewer, [(u, f"r{r}") for u in ents], spend="1000000.00")  # 300,000 yuan each
        _set_available(db, 100_000_000)  # exactly 1,000,000 yuan
        outcomes, lowest = _race(db, reviewer, ids, 30_000_000)
        counts = Counter(outcomes)
        assert counts == {"approved": 3, "refused: pool": 47}, counts
        assert lowest is not None and lowest >= 0
        _check_books(db, 90_000_000)
        with db.transaction() as s:
            approved = s.execute(select(Application.id).where(Application.id.in_(ids),
                                                              Application.status == "approved")).scalars().all()
            assert len(approved) == 3
            assert s.execute(select(Application.status).where(Application.id.in_(ids))
                             .where(Application.status != "approved")).scalars().all() == ["under_review"] * 47
            for app_id in approved:  # give the money back, so the next round starts from the same state
                service.cancel(s, finance, app_id)
        _check_books(db, 0)


def test_twenty_approvals_of_100k_against_the_500k_yearly_cap_give_exactly_five(db):
    reviewer, _, ents = _people(db, ROUNDS)
    _set_available(db, 3_000_000_000)  # the pool is not the limit here: the cap is
    for r, ent in enumerate(ents):  # a fresh enterprise each round: its 2024 cap is untouched
        ids = _under_review(db, reviewer, [(ent, f"c{i}") for i in range(20)], spend="333333.34")  # 100,000.00 each
        outcomes, lowest = _race(db, reviewer, ids, 10_000_000)
        counts = Counter(outcomes)
        assert counts == {"approved": 5, "refused: cap": 15}, counts
        assert lowest >= 0
        _check_books(db, 50_000_000 * (r + 1))
        with db.transaction() as s:
            cap = s.get(EntityCap, (ent.credit_code, "kunming_2024/" + PROVISION, 2024))
            assert (cap.used_fen, cap.cap_fen) == (50_000_000, 50_000_000)


# -- one enterprise, its own credit code; one claim, one live application ------------------------------------
def _one_claim(code: str, claim: str = "c1", spend: str = "100000.00") -> dict:
    return {"kind": "enterprise", "name": "企业", "credit_code": code,
            "compute_claims": [{"id": claim, "date": "2024-05-01", "category": "compute_rental", "spend": spend}]}


def test_an_applicant_cannot_apply_under_another_enterprises_credit_code(db):
    _, _, (ent0, ent1) = _people(db, 2)
    with pytest.raises((service.PermissionDenied, service.Refused)):
        with db.transaction() as s:
            service.create(s, ent0, _one_claim(ent1.credit_code), PROVISION, "c1")


def test_one_claim_cannot_be_approved_twice(db):
    reviewer, _, (ent,) = _people(db, 1)
    ids = _under_review(db, reviewer, [(ent, "c1")], spend="100000.00")
    with db.transaction() as s:
        service.approve(s, reviewer, ids[0], 3_000_000, "按审核核定")
    with pytest.raises((service.Refused, ledger.InsufficientFunds)):
        ids += _under_review(db, reviewer, [(ent, "c1")], spend="100000.00")
        with db.transaction() as s:
            service.approve(s, reviewer, ids[1], 3_000_000, "按审核核定")


def test_a_claim_is_free_again_after_rejection_and_twins_submit_once(db):
    reviewer, _, (ent,) = _people(db, 1)
    first = _under_review(db, reviewer, [(ent, "c1")], spend="100000.00")[0]
    with db.transaction() as s:
        service.reject(s, reviewer, first, "材料不全")
    second = _under_review(db, reviewer, [(ent, "c1")], spend="100000.00")[0]  # after rejection: may apply again
    assert second != first
    # two drafts of one claim may exist, but only one is submitted: the other is refused, naming the first
    with db.transaction() as s:
        profile = _one_claim(ent.credit_code, claim="c2")
        drafts = [service.create(s, ent, profile, PROVISION, "c2").id for _ in range(2)]
    outcomes = []
    for app_id in drafts:
        try:
            with db.transaction() as s:
                service.submit(s, ent, app_id, AS_OF)
            outcomes.append("submitted")
        except service.Refused as e:
            outcomes.append(str(e))
    assert outcomes[0] == "submitted" and f"application {drafts[0]} already claims" in outcomes[1]
