"""Model-based test (hypothesis state machine): random sequences of submit / review / approve / reject /
return / cancel / publish / disburse; after every step the ledger's invariants hold."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select, text, update

from huiqi.catalogue import get_policy
from huiqi.storage.models import Application, LedgerEntry, Pool
from huiqi.workflow import accounts, audit, ledger, service
from huiqi.workflow.states import TransitionError

POOL = "m07.compute_voucher_pool"
CODE = "91530100MA6K3YXF8W"


def _machine(db):
    class LedgerMachine(RuleBasedStateMachine):
        @initialize()
        def setup(self):
            self.tag = uuid.uuid4().hex[:6]
            with db.transaction() as s:
                ledger.ensure_pools(s, get_policy())
                s.execute(text("DELETE FROM ledger_entries"))
                s.execute(text("DELETE FROM entity_caps"))
                s.execute(update(Pool).where(Pool.id == POOL).values(total_fen=200_000_00, reserved_fen=0, settled_fen=0))
                s.execute(update(Application).where(Application.pool_id == POOL).values(pool_id=None))
                self.applicant = accounts.create_user(s, f"a{self.tag}", "password-123", "applicant", credit_code=CODE)
                self.reviewer = accounts.create_user(s, f"r{self.tag}", "password-123", "reviewer", department="市工业和信息化局")
                self.finance = accounts.create_user(s, f"f{self.tag}", "password-123", "finance")
            self.apps: list[int] = []

        def _try(self, fn, *args):
            try:
                with db.transaction() as s:
                    fn(s, *args)
            except (TransitionError, ledger.InsufficientFunds, service.Refused, service.PermissionDenied):
                pass  # a clear refusal; the invariants below say nothing changed wrongly

        @rule(spend=st.integers(min_value=1, max_value=1_000_000))
        def create_and_submit(self, spend):
            profile = {"kind": "enterprise", "name": "企业", "credit_code": CODE,
                       "compute_claims": [{"id": "c1", "date": "2024-05-01", "category": "compute_rental", "spend": str(spend)}]}
            with db.transaction() as s:
                app = service.create(s, self.applicant, profile, "m07.compute_voucher", "c1")
                service.submit(s, self.applicant, app.id, dt.date(2024, 6, 1))
            self.apps.append(app.id)

        @rule(i=st.integers(0, 50))
        def review(self, i):
            if self.apps:
                self._try(service.start_review, self.reviewer, self.apps[i % len(self.apps)])

        @rule(i=st.integers(0, 50), share=st.integers(1, 100))
        def approve(self, i, share):
            if self.apps:
                app_id = self.apps[i % len(self.apps)]
                with db.transaction() as s:
                    ent = s.get(Application, app_id).entitlement_fen or 1
                self._try(service.approve, self.reviewer, app_id, max(1, ent * share // 100))

        @rule(i=st.integers(0, 50))
        def reject(self, i):
            if self.apps:
                self._try(service.reject, self.reviewer, self.apps[i % len(self.apps)], "不符合")

        @rule(i=st.integers(0, 50))
        def return_(self, i):
            if self.apps:
                self._try(service.return_for_more, self.reviewer, self.apps[i % len(self.apps)], "补充材料")

        @rule(i=st.integers(0, 50))
        def cancel(self, i):
            if self.apps:
                self._try(service.cancel, self.finance, self.apps[i % len(self.apps)])

        @rule(i=st.integers(0, 50))
        def publish(self, i):
            if self.apps:
                self._try(lambda s, u, a: service.publish(s, u, a, 1, today=dt.date(2024, 6, 3)), self.finance,
                          self.apps[i % len(self.apps)])

        @rule(i=st.integers(0, 50))
        def disburse(self, i):
            if self.apps:
                self._try(lambda s, u, a: service.disburse(s, u, a, today=dt.date(2024, 7, 1)), self.finance,
                          self.apps[i % len(self.apps)])

        @invariant()
        def ledger_balances(self):
            if not hasattr(self, "tag"):
                return
            with db.transaction() as s:
                rec = ledger.reconcile(s)
                assert rec.ok, rec.problems
                pool = s.get(Pool, POOL)
                assert 0 <= pool.reserved_fen and pool.reserved_fen + pool.settled_fen <= pool.total_fen
                assert s.execute(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.amount_fen <= 0)).scalar_one() == 0
                assert audit.verify(s).ok

    return LedgerMachine


def test_ledger_invariants_hold_for_any_sequence(db):
    machine = _machine(db)
    machine.TestCase.settings = settings(max_examples=12, stateful_step_count=15, deadline=None,
                                         suppress_health_check=list(HealthCheck))
    machine.TestCase().runTest()
