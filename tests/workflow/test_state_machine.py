"""Model-based test: random sequences of create / submit / start_review / approve / reject / return /
cancel / publish / disburse on a small pool, checked against a model after every step.

The model predicts each action's outcome from the transition table, the pool's balance and the
enterprise's yearly cap — so a refusal that should have been a success (or the reverse) fails too,
not only a broken ledger. The invariants are computed here with plain SQL, independently of
``ledger.reconcile`` (which must agree).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import func, select, update

from huiqi.catalogue import get_policy
from huiqi.standards.uscc import make_uscc
from huiqi.storage.models import Application, EntityCap, LedgerEntry, Pool
from huiqi.workflow import accounts, audit, ledger, service
from huiqi.workflow.states import HOLDS_MONEY, TRANSITIONS, TransitionError

POOL = "kunming_2024/m07.compute_voucher_pool"  # the ledger key: <policy>/<pool>
PROVISION = "m07.compute_voucher"
POOL_FEN = st.sampled_from([5_000_000, 20_000_000, 50_000_000, 80_000_000])  # small pools: 50,000 to 800,000 yuan
CAP_FEN = 50_000_000  # 算力券: 500,000 yuan per enterprise per year
AS_OF = dt.date(2024, 6, 1)
_codes = itertools.count()
SPEND = st.one_of(st.sampled_from([1_700_000, 1_000_000, 600_000, 300_000]), st.integers(1, 2_000_000))  # yuan
SHARE = st.sampled_from([100, 100, 100, 60, 25, 1])  # % of the entitlement approved: mostly all of it
ACTIONS = {"submit", "start_review", "return", "reject", "approve", "approve_over", "approve_by_other_department",
           "publish", "disburse", "cancel", "cancel_by_applicant"}


@dataclass
class AppModel:
    owner: int  # index into the machine's applicants
    code: str
    status: str = "draft"
    entitlement: int | None = None
    approved: int | None = None


def _outcome(db, fn) -> str:
    try:
        with db.transaction() as s:
            fn(s)
        return "ok"
    except TransitionError:
        return "transition"
    except ledger.InsufficientFunds:
        return "funds"
    except service.Refused:
        return "refused"
    except service.PermissionDenied:
        return "denied"


def _machine(db, reviewer, other_reviewer, finance):
    has_apps = precondition(lambda self: bool(getattr(self, "model", None)))
    happy = {"draft": "submit", "returned": "submit", "submitted": "start_review", "under_review": "approve",
             "approved": "publish", "public_notice": "disburse"}

    class Workflow(RuleBasedStateMachine):
        @initialize(pool_fen=POOL_FEN)
        def fresh_books(self, pool_fen):
            """Give back what earlier examples hold, then leave exactly ``pool_fen`` available."""
            with db.transaction() as s:
                held = s.execute(select(Application.id).where(Application.status.in_(HOLDS_MONEY))).scalars().all()
                for app_id in held:
                    service.cancel(s, finance, app_id)
                s.execute(update(Pool).where(Pool.id == POOL).values(total_fen=Pool.settled_fen + pool_fen))
                self.base_settled = s.get(Pool, POOL).settled_fen
                self.applicants = []
                for _ in range(2):  # two enterprises with untouched caps
                    n = next(_codes)
                    self.applicants.append(accounts.create_user(
                        s, f"ent{n}", "password-123", "applicant", credit_code=make_uscc(f"91530100{n:09d}")))
            self.model: dict[int, AppModel] = {}
            self.pool_fen = pool_fen
            self.reserved = 0
            self.settled = 0
            self.cap_used = {u.credit_code: 0 for u in self.applicants}

        def _pick(self, data, action: str) -> int:
            """Mostly an application the action fits (else the walk rarely gets past submit), sometimes any."""
            fits = sorted(a for a, m in self.model.items() if (m.status, action) in TRANSITIONS)
            if fits and data.draw(st.sampled_from(["fits", "fits", "fits", "any"]), label="which") == "fits":
                return data.draw(st.sampled_from(fits), label=action)
            return data.draw(st.sampled_from(sorted(self.model)), label=action)

        # -- rules ------------------------------------------------------------------------------------
        @precondition(lambda self: len(self.model) < 6)  # a few applications, taken far, beat many drafts
        @rule(owner=st.integers(0, 1), spends=st.lists(SPEND, min_size=1, max_size=3),
              pick=st.integers(0, 2))
        def create(self, owner, spends, pick):
            user = self.applicants[owner]
            claims = [{"id": f"c{i}", "date": f"2024-04-0{1 + i}", "category": "model_service", "spend": str(v)}
                      for i, v in enumerate(spends)]
            profile = {"kind": "enterprise", "name": "企业", "credit_code": user.credit_code, "compute_claims": claims}
            with db.transaction() as s:
                app = service.create(s, user, profile, PROVISION, f"c{pick % len(spends)}")
            self.model[app.id] = AppModel(owner, user.credit_code)

        @has_apps
        @rule(data=st.data(), share=SHARE, steps=st.integers(1, 4))
        def advance(self, data, share, steps):
            """Push one application up to four steps along the happy path, so walks reach 公示 and payment."""
            movable = sorted(a for a, m in self.model.items() if m.status in happy)
            if movable:
                app = data.draw(st.sampled_from(movable), label="advance")
                for _ in range(steps):
                    status = self.model[app].status
                    if status not in happy:
                        break
                    self._do(happy[status], app, share=share)
                    if self.model[app].status == status:  # refused: stop here
                        break

        @has_apps
        @rule(data=st.data(), action=st.sampled_from(["return", "reject", "approve", "approve_over",
                                                       "approve_by_other_department"]), share=SHARE)
        def review(self, data, action, share):
            self._do(action, self._pick(data, action.split("_")[0]), share=share)

        @has_apps
        @rule(data=st.data(), action=st.sampled_from(["publish", "disburse", "cancel", "cancel_by_applicant", "reject"]))
        def finance_or_withdrawal(self, data, action):
            holding = sorted(a for a, m in self.model.items() if m.status in HOLDS_MONEY)
            if action in ("cancel", "reject") and holding:  # money given back: the release path, taken often
                app = data.draw(st.sampled_from(holding), label="holding")
            else:
                app = self._pick(data, action.split("_")[0])
            self._do(action, app, share=100)

        @has_apps
        @rule(data=st.data(), action=st.sampled_from(sorted(ACTIONS)), share=SHARE)
        def anything_to_anyone(self, data, action, share):
            """Any action on any application: most are refused, and a refusal must change nothing."""
            self._do(action, data.draw(st.sampled_from(sorted(self.model)), label="any"), share=share)

        # -- each action and the model's prediction of it ---------------------------------------------------
        def _do(self, action: str, app: int, share: int) -> None:
            m = self.model[app]
            owner = self.applicants[m.owner]
            if action == "submit":
                self._submit(app, m, owner)
            elif action.startswith("approve"):
                self._approve(app, m, share, over=action == "approve_over",
                              who=other_reviewer if action.endswith("other_department") else reviewer)
            elif action == "cancel_by_applicant" and m.status in HOLDS_MONEY:  # approved money: finance only
                assert _outcome(db, lambda s: service.cancel(s, owner, app)) == "denied"
            else:
                calls = {
                    "start_review": lambda s: service.start_review(s, reviewer, app),
                    "return": lambda s: service.return_for_more(s, reviewer, app, "请补充合同"),
                    "reject": lambda s: service.reject(s, reviewer, app, "不符合条件"),
                    "publish": lambda s: service.publish(s, finance, app, 1, today=dt.date(2024, 6, 3)),
                    "disburse": lambda s: service.disburse(s, finance, app, today=dt.date(2024, 7, 1)),
                    "cancel": lambda s: service.cancel(s, finance, app),
                    "cancel_by_applicant": lambda s: service.cancel(s, owner, app),
                }
                self._transition(app, m, action.split("_by_")[0], calls[action])

        def _submit(self, app, m, owner):
            got = _outcome(db, lambda s: service.submit(s, owner, app, AS_OF))
            if (m.status, "submit") not in TRANSITIONS:  # the engine runs first: an ineligible claim is refused
                assert got == "transition" if m.entitlement is not None else got in ("transition", "refused")
                return
            assert got in ("ok", "refused")  # refused: the engine finds the claim not eligible (capped away)
            if got == "ok":
                m.status = "submitted"
                with db.transaction() as s:
                    m.entitlement = s.get(Application, app).entitlement_fen

        def _approve(self, app, m, share, over, who):
            amount = 1 if m.entitlement is None else (m.entitlement + 1 if over else max(1, m.entitlement * share // 100))
            got = _outcome(db, lambda s: service.approve(s, who, app, amount, "按审核核定"))
            if who is other_reviewer:
                want = "denied"  # 市商务局 does not lead m07, whatever the status
            elif m.entitlement is None or amount > m.entitlement:
                want = "refused"
            elif m.status != "under_review":
                want = "transition"
            elif self.cap_used[m.code] + amount > CAP_FEN or self.reserved + self.settled + amount > self.pool_fen:
                want = "funds"
            else:
                want = "ok"
            assert got == want, (m, amount, self.reserved, self.cap_used)
            if got == "ok":
                m.status, m.approved = "approved", amount
                self.reserved += amount
                self.cap_used[m.code] += amount

        def _transition(self, app, m, action, fn):
            want = TRANSITIONS.get((m.status, action))
            got = _outcome(db, fn)
            assert got == ("ok" if want else "transition"), (m, action, got)
            if got != "ok":
                return
            if m.status in HOLDS_MONEY and want in ("rejected", "cancelled"):
                self.reserved -= m.approved
                self.cap_used[m.code] -= m.approved
            elif want == "disbursed":
                self.reserved -= m.approved
                self.settled += m.approved
            m.status = want

        # -- invariants, after every step ----------------------------------------------------------------
        @invariant()
        def books_balance(self):
            if not hasattr(self, "model"):
                return
            with db.transaction() as s:
                pool = s.get(Pool, POOL)
                assert 0 <= pool.reserved_fen and 0 <= pool.settled_fen
                assert pool.reserved_fen + pool.settled_fen <= pool.total_fen
                by_kind = dict(s.execute(select(LedgerEntry.kind, func.sum(LedgerEntry.amount_fen))
                                         .where(LedgerEntry.pool_id == POOL).group_by(LedgerEntry.kind)).all())
                assert pool.reserved_fen == by_kind.get("reserve", 0) - by_kind.get("release", 0) - by_kind.get("settle", 0)
                assert pool.settled_fen == by_kind.get("settle", 0)
                assert (pool.reserved_fen, pool.settled_fen - self.base_settled) == (self.reserved, self.settled)

                per_app: dict[int, dict[str, int]] = {}
                for app_id, kind, total in s.execute(select(LedgerEntry.application_id, LedgerEntry.kind,
                                                            func.sum(LedgerEntry.amount_fen))
                                                     .group_by(LedgerEntry.application_id, LedgerEntry.kind)):
                    per_app.setdefault(app_id, {})[kind] = total
                for app in s.execute(select(Application)).scalars():
                    k = per_app.get(app.id, {})
                    held = k.get("reserve", 0) - k.get("release", 0) - k.get("settle", 0)
                    paid = k.get("settle", 0)
                    if app.status in HOLDS_MONEY:
                        assert (held, paid) == (app.approved_fen, 0), app.id
                    elif app.status == "disbursed":
                        assert (held, paid) == (0, app.approved_fen), app.id
                    else:
                        assert (held, paid) == (0, 0), app.id
                    if app.id in self.model:
                        m = self.model[app.id]
                        assert (app.status, app.entitlement_fen) == (m.status, m.entitlement)
                        if m.approved is not None:
                            assert app.approved_fen == m.approved
                for code, used in self.cap_used.items():
                    cap = s.get(EntityCap, (code, "kunming_2024/" + PROVISION, 2024))
                    assert (cap.used_fen if cap else 0) == used
                    assert cap is None or cap.used_fen <= cap.cap_fen == CAP_FEN
                rec = ledger.reconcile(s)
                assert rec.ok, rec.problems
                v = audit.verify(s)
                assert v.ok, v.problem

    return Workflow


def test_books_hold_after_every_step_of_any_sequence(db, monkeypatch):
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))  # speed
    with db.transaction() as s:
        ledger.ensure_pools(s, get_policy())
        reviewer = accounts.create_user(s, "rev", "password-123", "reviewer", department="市工业和信息化局")
        other = accounts.create_user(s, "rev-swj", "password-123", "reviewer", department="市商务局")
        finance = accounts.create_user(s, "fin", "password-123", "finance")
    run_state_machine_as_test(
        _machine(db, reviewer, other, finance),
        settings=settings(max_examples=25, stateful_step_count=25, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck)),
    )


@pytest.mark.parametrize("action", ["reject", "cancel"])
def test_a_publicly_noticed_approval_released_by_an_upheld_objection_or_a_cancellation(db, monkeypatch, action):
    """The one path the random walk reaches least often, spelled out: public_notice → released."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    with db.transaction() as s:
        ledger.ensure_pools(s, get_policy())
        ent = accounts.create_user(s, "ent", "password-123", "applicant", credit_code="91530100MA6K3YXF8W")
        rev = accounts.create_user(s, "rev", "password-123", "reviewer", department="市工业和信息化局")
        fin = accounts.create_user(s, "fin", "password-123", "finance")
        profile = {"kind": "enterprise", "name": "企业", "credit_code": ent.credit_code,
                   "compute_claims": [{"id": "c1", "date": "2024-05-01", "category": "model_service", "spend": "100000"}]}
        app = service.create(s, ent, profile, PROVISION, "c1")
        service.submit(s, ent, app.id, AS_OF)
        service.start_review(s, rev, app.id)
        service.approve(s, rev, app.id, 3_000_000, "按审核核定")
        service.publish(s, fin, app.id, 1, today=dt.date(2024, 6, 3))
        service.object_to(s, app.id, "13800000000", "异议", today=dt.date(2024, 6, 3))
        if action == "reject":
            service.reject(s, rev, app.id, "异议成立")
        else:
            service.cancel(s, fin, app.id)
    with db.transaction() as s:
        pool = s.get(Pool, POOL)
        assert (pool.reserved_fen, pool.settled_fen) == (0, 0)
        assert s.get(EntityCap, (ent.credit_code, "kunming_2024/" + PROVISION, 2024)).used_fen == 0
        assert ledger.reconcile(s).ok and audit.verify(s).ok
