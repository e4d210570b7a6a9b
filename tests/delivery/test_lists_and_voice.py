"""Published lists (m23): the public sees only what is published and not withdrawn, on the dates.
Enterprise voice (m27): routed, answered by a Chinese working-day deadline (across the National Day
holiday and its adjusted working days), escalated the day after it, rated once answered."""

from __future__ import annotations

import datetime as dt

import pytest

from huiqi.delivery import DeliveryError, NotYours, lists, voice
from huiqi.workflow import accounts


def _users(db):
    with db.transaction() as s:
        fgw = accounts.create_user(s, "fgw", "password-123", "reviewer", department="市发展改革委")
        gx = accounts.create_user(s, "gx", "password-123", "reviewer", department="市工业和信息化局")
        ent = accounts.create_user(s, "ent", "password-123", "applicant", credit_code="91530100MA6K3YXF8W")
        other = accounts.create_user(s, "ent2", "password-123", "applicant", credit_code="91530100678728169X")
    return fgw, gx, ent, other


def test_the_public_sees_published_entries_between_publication_and_withdrawal(db):
    fgw, gx, ent, _ = _users(db)
    with db.transaction() as s:
        a = lists.add(s, fgw, {"kind": "重点产业链供应链项目", "name": "新能源电池材料项目", "district": "530111",
                               "investment": "250000000.00", "published_on": "2024-05-10"})
        draft = lists.add(s, fgw, {"kind": "reits", "name": "产业园区REITs", "investment": "800000000"})
        lists.add(s, fgw, {"kind": "concession", "name": "停车场特许经营", "published_on": "2024-06-01"})
    with db.transaction() as s:
        names = lambda day, **f: [e.name for e in lists.public(s, day, **f)]  # noqa: E731
        assert names(dt.date(2024, 5, 9)) == []
        assert names(dt.date(2024, 5, 10)) == ["新能源电池材料项目"]  # from its publication day
        assert names(dt.date(2024, 6, 1), kind="concession") == ["停车场特许经营"]
        assert names(dt.date(2024, 6, 1), district="530111") == ["新能源电池材料项目"]
        assert "产业园区REITs" not in names(dt.date(2024, 12, 1))  # a draft is not public
        lists.withdraw(s, fgw, a.id, dt.date(2024, 7, 1))
        assert "新能源电池材料项目" in names(dt.date(2024, 6, 30)) and "新能源电池材料项目" not in names(dt.date(2024, 7, 1))
        lists.publish(s, fgw, draft.id, dt.date(2024, 8, 1))
        assert names(dt.date(2024, 8, 1), kind="reits") == ["产业园区REITs"]
    for user in (gx, ent):
        with pytest.raises(NotYours):
            with db.transaction() as s:
                lists.publish(s, user, draft.id, dt.date(2024, 9, 1))


def test_a_problem_is_answered_by_its_department_within_working_days_across_national_day(db):
    fgw, gx, ent, other = _users(db)
    with db.transaction() as s:
        t = voice.raise_ticket(s, ent, "算力券兑付进度", "请问何时拨付？", dt.date(2024, 9, 30), measure_id="m07")
        # 5 working days after Monday 30 September 2024: 8, 9, 10, 11 October and Saturday 12 October (调休上班)
        assert t.department == "市工业和信息化局" and t.due_on == dt.date(2024, 10, 12)
        assert voice.escalate_overdue(s, dt.date(2024, 10, 12)) == []  # on the due day: not yet
    with pytest.raises(NotYours):
        with db.transaction() as s:
            voice.answer(s, fgw, t.id, "不是我们", dt.date(2024, 10, 10))
    with db.transaction() as s:
        assert [x.id for x in voice.escalate_overdue(s, dt.date(2024, 10, 13))] == [t.id]
        assert voice.escalate_overdue(s, dt.date(2024, 10, 14)) == []  # once
        voice.answer(s, gx, t.id, "已于10月14日拨付", dt.date(2024, 10, 14))
    with pytest.raises(NotYours):
        with db.transaction() as s:
            voice.rate(s, other, t.id, 5)
    with pytest.raises(DeliveryError) as e:
        with db.transaction() as s:
            voice.rate(s, ent, t.id, 6)
    assert e.value.field == "rating"
    with db.transaction() as s:
        voice.rate(s, ent, t.id, 4)
        on_time = voice.raise_ticket(s, ent, "社保补贴", "怎么申请", dt.date(2024, 11, 4), department="市人力资源社会保障局")
        voice.answer(s, gx if on_time.department == "市工业和信息化局" else accounts.create_user(
            s, "rs", "password-123", "reviewer", department="市人力资源社会保障局"), on_time.id, "线上申请", dt.date(2024, 11, 5))
        figures = voice.stats(s, dt.date(2024, 11, 6))
    assert figures["raised"] == 2 and figures["answered"] == 2 and figures["answered_on_time"] == 1
    assert figures["mean_rating"] == 4 and figures["open_overdue"] == 0
    assert figures["mean_working_days"] == (6 + 1) / 2  # 8–12 Oct and 14 Oct: six working days; one day


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"subject": " "}, "subject"), ({"content": ""}, "content"), ({"measure_id": None}, "measure_id"),
    ({"department": "市宇宙局"}, "department"), ({"channel": "fax"}, "channel"),
])
def test_bad_problems_name_the_field(db, kwargs, field):
    _, _, ent, _ = _users(db)
    args = {"subject": "题目", "content": "内容", "today": dt.date(2024, 9, 30), "measure_id": "m07", **kwargs}
    with pytest.raises(DeliveryError) as e:
        with db.transaction() as s:
            voice.raise_ticket(s, ent, **args)
    assert e.value.field == field


def test_a_deadline_into_a_year_without_a_published_schedule_is_provisional(db):
    """Raised on 2026-12-30: 31 December, then (2027, no official schedule yet) 4–7 January — New Year's
    Day is a fixed-date holiday; the answer is not refused for want of next year's calendar."""
    from huiqi.workflow.service import Refused, add_working_days, is_provisional

    _, _, ent, _ = _users(db)
    with db.transaction() as s:
        t = voice.raise_ticket(s, ent, "年底问题", "内容", dt.date(2026, 12, 30), measure_id="m07")
    assert t.due_on == dt.date(2027, 1, 7) and is_provisional(t.raised_on, t.due_on)
    assert not is_provisional(dt.date(2024, 9, 30), dt.date(2024, 10, 12))
    with pytest.raises(Refused):  # money deadlines (公示) still wait for the official schedule
        add_working_days(dt.date(2026, 12, 30), 5)
