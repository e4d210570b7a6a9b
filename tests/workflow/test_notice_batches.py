"""The public notice in batches (issue 12, item 6): what finance publishes on one day for one provision is one
titled batch, numbered within the year; its status ends with its period, and objections close with it. On SQLite
and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from huiqi import policies
from huiqi.storage.models import Objection
from huiqi.workflow import accounts, ledger, notices, service
from huiqi.workflow.states import TransitionError

PROFILE = {
    "kind": "enterprise", "name": "示例智能科技有限公司", "credit_code": "91530100MA6K3YXF8W", "industry": "6513",
    "compute_claims": [{"id": f"c{i}", "date": "2024-05-10", "category": "model_service", "spend": "100000.00"}
                       for i in (1, 2, 3)],
}
MONDAY = dt.date(2024, 6, 3)  # 5 working days: 4–7 June, then 10 June (端午) is a holiday → ends 11 June
LAST_DAY = dt.date(2024, 6, 11)


@pytest.fixture
def people(db):
    with db.transaction() as s:
        ledger.ensure_pools(s, policies.load())
        return {"applicant": accounts.create_user(s, "ent1", "password-123", "applicant", credit_code="91530100MA6K3YXF8W"),
                "reviewer": accounts.create_user(s, "rev", "password-123", "reviewer", department="市工业和信息化局"),
                "finance": accounts.create_user(s, "fin", "password-123", "finance")}


def _approved(s, people, event: str) -> int:
    app = service.create(s, people["applicant"], PROFILE, "m07.compute_voucher", event, today=dt.date(2024, 6, 1))
    service.submit(s, people["applicant"], app.id, dt.date(2024, 6, 1), today=dt.date(2024, 6, 1))
    service.start_review(s, people["reviewer"], app.id)
    service.approve(s, people["reviewer"], app.id, 3_000_000)
    return app.id


def test_batches_are_titled_numbered_and_end_with_their_period(db, people):
    with db.transaction() as s:
        a, b, c = (_approved(s, people, e) for e in ("c1", "c2", "c3"))
        service.publish(s, people["finance"], a, today=MONDAY)
        service.publish(s, people["finance"], b, today=MONDAY)
        service.publish(s, people["finance"], c, today=dt.date(2024, 7, 1))

    with db.transaction() as s:
        on_last_day = notices.batches(s, LAST_DAY)
        first = next(x for x in on_last_day if x.notice_from == MONDAY)
        second = next(x for x in on_last_day if x.notice_from == dt.date(2024, 7, 1))
        assert first.title_zh == "2024年第1批算力券拟兑现名单公示" and [i.id for i in first.items] == [a, b]
        assert second.title_zh == "2024年第2批算力券拟兑现名单公示" and [i.id for i in second.items] == [c]
        assert (first.notice_from, first.notice_until) == (MONDAY, LAST_DAY)
        assert first.state == "running"  # the last day is still in the notice (至…止, inclusive)
        assert first.dept == "市工业和信息化局"
        assert [x.notice_from for x in on_last_day] == [dt.date(2024, 7, 1), MONDAY]  # newest first
        day_after = {x.notice_from: x.state for x in notices.batches(s, LAST_DAY + dt.timedelta(days=1))}
        assert day_after[MONDAY] == "ended" and day_after[dt.date(2024, 7, 1)] == "running"
        before = {x.notice_from: x.state for x in notices.batches(s, MONDAY)}
        assert before[MONDAY] == "running"


def test_objections_close_with_the_period_and_payment_is_dated(db, people):
    with db.transaction() as s:
        a = _approved(s, people, "c1")
        service.publish(s, people["finance"], a, today=MONDAY)
    with db.transaction() as s:
        service.object_to(s, a, "13800000000", "发票金额与合同不一致", today=LAST_DAY)
    with pytest.raises(TransitionError):
        with db.transaction() as s:
            service.object_to(s, a, "13800000000", "期满后的异议", today=LAST_DAY + dt.timedelta(days=1))
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Objection)) == 1  # the late one was not stored
        with pytest.raises(service.Refused):
            service.disburse(s, people["finance"], a, today=LAST_DAY)  # not while the notice runs
    with db.transaction() as s:
        service.disburse(s, people["finance"], a, today=dt.date(2024, 6, 14))
    with db.transaction() as s:
        (batch,) = notices.batches(s, dt.date(2024, 6, 20))
        assert batch.state == "paid" and batch.items[0].disbursed_on == dt.date(2024, 6, 14)


def test_a_partial_approval_needs_a_written_opinion_in_the_record(db, people):
    from huiqi.storage.models import ApplicationEvent

    with db.transaction() as s:
        app = service.create(s, people["applicant"], PROFILE, "m07.compute_voucher", "c1", today=dt.date(2024, 6, 1))
        service.submit(s, people["applicant"], app.id, dt.date(2024, 6, 1), today=dt.date(2024, 6, 1))
        service.start_review(s, people["reviewer"], app.id)
        entitlement, app_id = app.entitlement_fen, app.id
    assert entitlement == 3_000_000
    with pytest.raises(service.OpinionRequired):
        with db.transaction() as s:
            service.approve(s, people["reviewer"], app_id, entitlement - 1, "   ")  # one fen less, blank opinion
    with db.transaction() as s:
        service.approve(s, people["reviewer"], app_id, entitlement - 1, "发票金额少一分，按发票核定")
        note = s.scalars(select(ApplicationEvent.note).where(ApplicationEvent.application_id == app_id,
                                                             ApplicationEvent.to_status == "approved")).one()
    assert note == "核定金额¥29,999.99；审核意见：发票金额少一分，按发票核定"  # ¥, never raw fen


def test_the_full_amount_needs_no_opinion_and_payment_keeps_voucher_and_date(db, people):
    with db.transaction() as s:
        app_id = _approved(s, people, "c1")  # the whole 30,000.00: no opinion asked
        service.publish(s, people["finance"], app_id, today=MONDAY)
    for bad in (LAST_DAY, dt.date(2024, 6, 20)):  # inside the notice; after "today"
        with pytest.raises(service.Refused):
            with db.transaction() as s:
                service.disburse(s, people["finance"], app_id, today=dt.date(2024, 6, 14), voucher="CZ-1", paid_on=bad)
    with db.transaction() as s:
        app = service.disburse(s, people["finance"], app_id, today=dt.date(2024, 6, 14), voucher=" CZ-2024-0612 ",
                               paid_on=LAST_DAY + dt.timedelta(days=1))
        assert (app.disbursed_on, app.disbursement_voucher) == (dt.date(2024, 6, 12), "CZ-2024-0612")


def test_material_is_added_before_approval_only(db, people, tmp_path, monkeypatch):
    from huiqi.workflow import evidence

    monkeypatch.setenv("HUIQI_EVIDENCE_DIR", str(tmp_path / "evidence"))
    pdf = b"%PDF-1.4 invoice"
    with db.transaction() as s:
        app_id = _approved(s, people, "c1")
    with pytest.raises(evidence.EvidenceRejected) as refused:
        with db.transaction() as s:
            evidence.add(s, "ent1", app_id, "补充发票.pdf", pdf)  # approved: what was approved is fixed
    assert refused.value.status == 409 and "不能再补充材料" in str(refused.value)
    with db.transaction() as s:
        app = service.create(s, people["applicant"], PROFILE, "m07.compute_voucher", "c2", today=dt.date(2024, 6, 1))
        service.submit(s, people["applicant"], app.id, dt.date(2024, 6, 1), today=dt.date(2024, 6, 1))
        service.start_review(s, people["reviewer"], app.id)
        row = evidence.add(s, "ent1", app.id, "补充发票.pdf", pdf)  # under review: 补充材料 is welcome
        assert evidence.kind_words(row.content_type) == "PDF 文件" and evidence.kind_words(row.content_type, "en") == "PDF document"
