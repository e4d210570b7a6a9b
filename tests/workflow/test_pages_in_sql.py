"""The dashboard's sums, the 公示's batches and pages and the API's visible lists are read in SQL (issue 15: a policy
year of ~2,000 applications must not be loaded whole to show a page). Each is checked here against the plain
computation over every row — the way the pages used to do it — on SQLite and PostgreSQL, on a random year of
rows: amounts above 2³¹ fen, districts given as strings, numbers, unknown codes, retired county codes or not at
all, approvals timed near midnight, applications approved twice or never, payments undated, legacy notices without
their first day."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict

import pytest
from sqlalchemy import func, select

from huiqi import policies
from huiqi.api.routes_workflow import visible_to
from huiqi.standards.divisions import districts
from huiqi.storage.models import Application, ApplicationEvent, LedgerEntry, Pool, User
from huiqi.web import pages_dashboard
from huiqi.workflow import ledger, notices, service

STATUSES = ("draft", "submitted", "under_review", "returned", "approved", "public_notice", "disbursed", "rejected",
            "cancelled")


def _day(rnd: random.Random) -> dt.date:
    return dt.date(2024, 3, 28) + dt.timedelta(days=rnd.randrange(0, 290))


def _moment(rnd: random.Random) -> dt.datetime:
    edge = rnd.choice([dt.time(0, 0), dt.time(23, 59, 59), dt.time(15, 59, 59), dt.time(16, 0), dt.time(9, 30)])
    return dt.datetime.combine(_day(rnd), edge)


@pytest.fixture
def year(db):
    """A random year of applications, their timelines and the pools' ledger, written as rows."""
    rnd = random.Random(20240328)
    policy = policies.load()
    codes = [d.code for d in districts(include_historical=True)]
    with db.transaction() as s:
        ledger.ensure_pools(s, policy)
        people = [User(username=f"ent{i}", role="applicant") for i in range(3)]  # nobody signs in: no password
        people += [User(username="rev", role="reviewer", department="市工业和信息化局"),
                   User(username="rev2", role="reviewer", department="市委金融办"), User(username="fin", role="finance")]
        for u in people:
            u.display_name, u.password_hash = u.username, "-"
        s.add_all(people)
        s.flush()
        pools = list(s.execute(select(Pool.id)).scalars())
        provisions = [(m.id, p.id) for m in policy.measures for p in m.provisions][::3]
        provisions.append(("m99", "m99.not_in_the_policy"))  # a measure the policy no longer has: shown by its id
        apps = []
        for i in range(240):
            measure_id, provision_id = rnd.choice(provisions)
            status = rnd.choice(STATUSES)
            profile = {"name": f"企业{i}"}
            district = rnd.choice(codes + ["999999", 530102, "", None, "missing"])
            if district != "missing":
                profile["district"] = district
            entitlement = rnd.choice([100, 3_000_000, 9_000_000_000, 250_000_000_000])
            approved = rnd.choice([None, entitlement, max(1, entitlement // 3)])
            start = rnd.choice([dt.date(2024, 6, 3), dt.date(2024, 7, 1), dt.date(2025, 1, 6), None])
            a = Application(applicant_id=people[i % 3].id, credit_code=None, policy_id=policy.header.id,
                            provision_id=provision_id, measure_id=measure_id, status=status,
                            profile_json=json.dumps(profile, ensure_ascii=False), entitlement_fen=entitlement,
                            approved_fen=approved, created_at=_moment(rnd), updated_at=_moment(rnd))
            if status in ("public_notice", "disbursed"):
                a.notice_from = start
                a.notice_until = (start or _day(rnd)) + dt.timedelta(days=8) if rnd.random() < 0.95 else None
                a.disbursed_on = _day(rnd) if status == "disbursed" and rnd.random() < 0.9 else None
            apps.append(a)
        s.add_all(apps)
        s.flush()
        for a in apps:
            for _ in range(rnd.choice([0, 1, 1, 2])):
                s.add(ApplicationEvent(application_id=a.id, at=_moment(rnd), from_status="under_review",
                                       to_status=rnd.choice(["approved", "approved", "returned"])))
            for _ in range(rnd.choice([0, 1, 3])):
                s.add(LedgerEntry(pool_id=rnd.choice(pools), application_id=a.id, at=_moment(rnd),
                                  kind=rnd.choice(["reserve", "reserve", "release", "settle"]),
                                  amount_fen=rnd.choice([1, 99, 3_000_000, 9_000_000_000])))
        user_ids = [u.id for u in people]
    return db, user_ids


def test_the_dashboard_sums_equal_a_plain_sum_over_the_rows(year):
    db, _ = year
    with db.transaction() as s:
        d = pages_dashboard.collect(s, "zh")
        policy = policies.load()
        apps = s.execute(select(Application).where(Application.status.in_(pages_dashboard.AWARDED),
                                                   Application.policy_id == policy.header.id)).scalars().all()
        approved_on = {}
        for ev in s.execute(select(ApplicationEvent).where(ApplicationEvent.to_status == "approved")
                            .order_by(ApplicationEvent.id)).scalars():
            approved_on[ev.application_id] = ev.at
        entries = s.execute(select(LedgerEntry)).scalars().all()
    assert len(apps) > 50 and any((a.approved_fen or 0) > 2**31 for a in apps)

    by_measure, by_district, by_month = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    for a in apps:
        for table, key in ((by_measure, a.measure_id),
                           (by_district, pages_dashboard._district_name(json.loads(a.profile_json).get("district"), "zh")[0]),
                           (by_month, (approved_on.get(a.id) or a.updated_at).strftime("%Y-%m"))):
            table[key][0] += 1
            table[key][1] += a.approved_fen or 0
    assert {r.key: [r.count, r.amount_fen] for r in d.by_measure} == by_measure
    assert {r.key: [r.count, r.amount_fen] for r in d.by_district} == by_district
    assert [(r.key, r.count, r.amount_fen) for r in d.by_month] == sorted((k, *v) for k, v in by_month.items())
    assert [r.key for r in d.by_district] == sorted(by_district, key=lambda k: (-by_district[k][1], k))
    assert d.awarded_fen == sum(a.approved_fen or 0 for a in apps) and all(isinstance(r.amount_fen, int) for r in d.by_month)
    assert "m99" in by_measure and "" in by_district and len(by_month) > 6  # the odd cases are in the year

    moves = defaultdict(lambda: defaultdict(int))
    for e in entries:
        moves[(e.pool_id, e.at.date())][e.kind] += e.amount_fen
    assert {(p.pool_id, p.day): (p.reserved_fen, p.released_fen, p.settled_fen) for p in d.pool_days} == {
        k: (v["reserve"], v["release"], v["settle"]) for k, v in moves.items()}
    for p in d.pool_days:  # committed to date: every reserve less every release up to the end of that day
        assert p.committed_fen == sum(e.amount_fen * {"reserve": 1, "release": -1, "settle": 0}[e.kind]
                                      for e in entries if e.pool_id == p.pool_id and e.at.date() <= p.day)


def _plain_batches(s, today):
    """Every batch by grouping every published row in Python, as the 公示 used to."""
    rows = s.execute(select(Application).where(Application.status.in_(notices.PUBLISHED))
                     .order_by(Application.id)).scalars().all()
    grouped = {}
    for a in rows:
        grouped.setdefault((a.policy_id, a.provision_id, a.notice_from or a.notice_until), []).append(a)
    out = {}
    for (policy_id, provision_id, start), apps in grouped.items():
        starts = sorted({k[2] for k in grouped if k[:2] == (policy_id, provision_id) and k[2] and start
                         and k[2].year == start.year})
        until = max((a.notice_until for a in apps if a.notice_until), default=None)
        state = ("paid" if all(a.status == "disbursed" for a in apps)
                 else "running" if until is not None and today <= until else "ended")
        out[(policy_id, provision_id, start)] = (starts.index(start) + 1 if start else 1, apps[0].notice_from, until,
                                                 state, [a.id for a in apps])
    return out, rows


def test_the_notice_batches_and_paid_pages_equal_a_plain_grouping(year):
    db, _ = year
    for today in (dt.date(2024, 6, 11), dt.date(2024, 7, 5), dt.date(2025, 2, 1)):
        _same_batches(db, today)


def _same_batches(db, today: dt.date) -> None:
    with db.transaction() as s:
        expected, rows = _plain_batches(s, today)
        every = notices.batches(s, today)
        index = notices.index(s, today)
        ids = notices.batch_ids(s)
        unpaid = notices.fill(s, [b for b in index if b.state != "paid"])
        paid = sorted((a for a in rows if a.status == "disbursed"),
                      key=lambda a: (a.disbursed_on or dt.date.min, a.id), reverse=True)
        pages = [notices.paid_page(s, index, offset, 7) for offset in range(0, len(paid) + 7, 7)]
    assert len(expected) > 5 and any(k[2] is None for k in expected) and any(a.disbursed_on is None for a in paid)
    got = {b.group: (b.number, b.notice_from, b.notice_until, b.state, [i.id for i in b.items]) for b in every}
    assert got == expected
    assert [b.group for b in index] == [b.group for b in every]  # newest first, the same order
    assert all(b.title_zh.endswith("拟兑现名单公示") and b.count == len(expected[b.group][4]) for b in index)
    assert {g: v for g, v in ids.items()} == {g: v[4] for g, v in expected.items()}
    assert {b.group: [i.id for i in b.items] for b in unpaid} == {
        g: v[4] for g, v in expected.items() if v[3] != "paid"}
    assert [i.id for page in pages for _, i in page] == [a.id for a in paid]
    group_of = {i: g for g, v in expected.items() for i in v[4]}
    assert all(b.group == group_of[i.id] for page in pages for b, i in page)  # each paid item with its own batch
    assert sum(b.paid for b in index) == len(paid) and pages[-1] == []


def test_the_api_lists_exactly_what_each_user_may_see(year):
    db, user_ids = year
    with db.transaction() as s:
        apps = s.execute(select(Application).order_by(Application.id)).scalars().all()
        for user_id in user_ids:
            user = s.get(User, user_id)
            expected = [a.id for a in apps if service.can_view(user, a)]
            got = list(s.execute(select(Application.id).where(visible_to(user)).order_by(Application.id)).scalars())
            assert got == expected, user.username
            assert s.scalar(select(func.count()).select_from(Application).where(visible_to(user))) == len(expected)
        assert any(not service.can_view(s.get(User, i), a) for i in user_ids for a in apps)  # the test can fail
