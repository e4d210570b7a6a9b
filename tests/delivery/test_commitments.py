"""The commitments ledger: seeded from the policy text, owned by the lead departments, overdue the
day after its due date, with a history of reports."""

from __future__ import annotations

import datetime as dt

import pytest

from huiqi.catalogue import get_policy
from huiqi.delivery import DeliveryError, NotYours, commitments
from huiqi.storage.models_delivery import Commitment
from huiqi.workflow import accounts

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_every_commitment_is_a_verbatim_sentence_of_its_measure():
    policy = get_policy()
    seeds = commitments.extract(policy)
    by_measure = {m.id: [s for s in seeds if s.measure_id == m.id] for m in policy.measures}
    assert all(by_measure.values())  # every measure has commitments
    for s in seeds:
        m = policy.measure(s.measure_id)
        assert s.sentence in m.text and m.lead_departments_text not in s.sentence
        assert s.departments == tuple(d.name for d in m.lead_departments)
        assert s.due == dt.date(2024, 12, 31)
    # the m17 target sentence is a commitment of m17, owned by its four lead departments
    m17 = [s for s in by_measure["m17"] if "年内引进亿元以上省外产业项目160个以上" in s.sentence]
    assert len(m17) == 1 and "市投资促进局" in m17[0].departments


def _users(db):
    with db.transaction() as s:
        commitments.seed(s, get_policy())
        gx = accounts.create_user(s, "gx", "password-123", "reviewer", department="市工业和信息化局")
        sw = accounts.create_user(s, "sw", "password-123", "reviewer", department="市商务局")
        ent = accounts.create_user(s, "ent", "password-123", "applicant", credit_code="91530100MA6K3YXF8W")
    return gx, sw, ent


def test_a_department_reports_only_on_its_own_commitments_with_history(db, tmp_path, monkeypatch):
    monkeypatch.setenv("HUIQI_EVIDENCE_DIR", str(tmp_path / "ev"))
    gx, sw, ent = _users(db)
    with db.transaction() as s:
        assert commitments.seed(s, get_policy()) == 0  # idempotent
        commitments.report(s, gx, "m07.c01", "in_progress", "已召开推进会", ("会议纪要.pdf", PDF))
        commitments.report(s, gx, "m07.c01", "done", "已完成")
    for user in (sw, ent):
        with pytest.raises(NotYours):
            with db.transaction() as s:
                commitments.report(s, user, "m07.c01", "done", "不是我的")
    with db.transaction() as s:
        hist = commitments.history(s, "m07.c01")
        assert [(h.status, h.actor) for h in hist] == [("in_progress", "gx"), ("done", "gx")]
        assert hist[0].evidence_sha256 and hist[0].evidence_name == "会议纪要.pdf"
        assert commitments.find(s, None, "m07.c01").status == "done"


@pytest.mark.parametrize(("status", "note", "evidence", "field"), [
    ("finished", "x", None, "status"), ("done", "  ", None, "note"), ("done", "x", ("a.txt", b"hello"), "evidence"),
])
def test_bad_reports_name_the_field_and_change_nothing(db, status, note, evidence, field):
    gx, _, _ = _users(db)
    with pytest.raises(DeliveryError) as e:
        with db.transaction() as s:
            commitments.report(s, gx, "m07.c01", status, note, evidence)
    assert e.value.field == field
    with db.transaction() as s:
        assert commitments.history(s, "m07.c01") == [] and commitments.find(s, None, "m07.c01").status == "not_started"


def test_overdue_from_the_day_after_the_due_date_unless_done(db):
    gx, _, _ = _users(db)
    with db.transaction() as s:
        c = commitments.find(s, None, "m07.c02")
        assert commitments.shown_status(c, dt.date(2024, 12, 31)) == "not_started"
        assert commitments.shown_status(c, dt.date(2025, 1, 1)) == "overdue"
        commitments.report(s, gx, "m07.c02", "done", "完成")
        assert commitments.shown_status(c, dt.date(2025, 1, 1)) == "done"
        mine = commitments.listing(s, dt.date(2025, 1, 1), department="市工业和信息化局")
        assert {c.measure_id for c in mine} >= {"m07"} and all("市工业和信息化局" in commitments.departments(c) for c in mine)
        overdue = commitments.listing(s, dt.date(2025, 1, 1), department="市工业和信息化局", status="overdue")
        assert "m07.c02" not in {c.code for c in overdue} and len(overdue) == len(mine) - 1
        assert commitments.summary(mine, dt.date(2025, 1, 1)) == {"not_started": 0, "in_progress": 0, "done": 1,
                                                                  "overdue": len(mine) - 1}
