"""The demo's replay of a policy year (issue 15): a synthetic city moved through the year by the platform's own
services, dated as a bureau would have worked, leaving a chain that verifies and a ledger that reconciles."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

import huiqi
from huiqi import clock, policies
from huiqi.storage.models import Application, ApplicationEvent, AuditEntry, Objection, Offer, User
from huiqi.storage.models_delivery import CommitmentReport, VoiceTicket
from huiqi.workflow import audit, ledger, replay, service


@pytest.fixture(scope="module")
def policy():
    return policies.load()


def test_the_replay_moment_dates_everything_and_ends_with_its_block():
    moment = dt.datetime(2024, 6, 3, 10, 15)  # Beijing wall time
    before = clock.today()
    with clock.replaying(moment):
        assert clock.today() == dt.date(2024, 6, 3)
        assert clock.now_utc() == dt.datetime(2024, 6, 3, 2, 15)  # stored as naive UTC
        from huiqi.storage.models import utcnow

        assert utcnow() == dt.datetime(2024, 6, 3, 2, 15)
    assert clock.today() == before


def test_only_the_replay_and_tests_set_the_replay_moment():
    package = Path(huiqi.__file__).parent
    setters = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("replaying", "_replay_at"):
                setters.append(path.relative_to(package).as_posix())
    assert set(setters) <= {"workflow/replay.py", "clock.py"}, setters


def test_a_small_year_goes_through_every_step(db, policy):
    done = replay.replay(db, policy, size="small", seed=11)
    assert done.refused == {}, done.refused  # every action the city took was one the services accept
    period = policy.header.general.in_force
    with db.transaction() as s:
        statuses = dict(s.execute(select(Application.status, func.count()).group_by(Application.status)).all())
        assert statuses.get("disbursed", 0) > 20 and statuses.get("rejected", 0) >= 1, statuses
        assert sum(statuses.values()) == sum(done.applications.values())
        # returned for more material, then submitted again
        returned = s.execute(select(ApplicationEvent.application_id).where(ApplicationEvent.to_status == "returned")
                             ).scalars().all()
        assert returned, "no application was returned for more material"
        # every lead department with money decided something
        decided = {d for app in s.execute(select(Application).where(Application.status == "disbursed")).scalars()
                   for d in service._lead_departments(app)}
        assert len(decided) >= 3, decided
        # 免申即享: offers made at the screens, some confirmed into applications
        offers = s.execute(select(Offer)).scalars().all()
        assert offers and any(o.status == "confirmed" and o.application_id for o in offers)
        assert {o.as_of for o in offers} <= set(replay.working_days(period.start, period.end))
        # only money goes through the platform: no tax relief, loan limit or right is offered, applied for or paid
        benefit = {p.id: p.benefit for p in policy.provisions()}
        claimed = set(s.execute(select(Application.provision_id)).scalars()) | {o.provision_id for o in offers}
        assert {benefit[p] for p in claimed} == {"money"}, {p: benefit[p] for p in claimed if benefit[p] != "money"}
        # every step at an office hour of a working day of the policy year, in Beijing time
        for at in s.execute(select(ApplicationEvent.at)).scalars():
            local = clock.beijing(at)
            assert period.start <= local.date() <= period.end, local
            assert service.is_working_day(local.date(), provisional_ok=True), local
            assert 8 <= local.hour <= 17, local
        # paid only after the notice, with a voucher
        for app in s.execute(select(Application).where(Application.status == "disbursed")).scalars():
            assert app.disbursed_on > app.notice_until and app.disbursement_voucher
        assert s.execute(select(func.count()).select_from(Objection)).scalar_one() == done.objections
        # the departments' side
        assert s.execute(select(func.count()).select_from(VoiceTicket)).scalar_one() > 0
        assert s.execute(select(func.count()).select_from(CommitmentReport)).scalar_one() > 10
        # the city's enterprises cannot sign in until a password is set
        city = s.execute(select(User).where(User.username.like("ent-9%"))).scalars().first()
        assert city is not None and city.password_hash == "!"
        # the chain verifies and the ledger reconciles
        assert audit.verify(s).ok
        assert ledger.reconcile(s).ok
        first = s.execute(select(AuditEntry.at).order_by(AuditEntry.seq).limit(1)).scalar_one()
        assert first.startswith(str(period.start.year))
