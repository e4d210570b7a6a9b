"""Enterprise voice (政企沟通, m27) in a real browser: an enterprise raises a problem about m07, it goes
to 市工业和信息化局 with a deadline five Chinese working days later; another department neither sees
it nor may answer it; the right department answers; the enterprise rates it; the public figures
count it. The escalation list (督办) is checked over HTTP on a database with an overdue problem."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from huiqi import clock
from huiqi.catalogue import get_policy
from huiqi.workflow.service import Refused, add_working_days
from tests.web.conftest import assert_fits, assert_labelled, login, shot
from tests.workflow.conftest import db  # noqa: F401  (the escalation test's database)

SUBJECT = "算力券兑付进度咨询"


def _figures(page, server) -> dict[str, str]:
    page.goto(server + "/voice")
    return {k: page.locator(f"[data-test=stats] [data-test={k}]").inner_text().split()[0]
            for k in ("raised", "answered", "on-time", "rating")}


def _csrf(page) -> str:
    return page.locator("input[name=csrf_token]").first.get_attribute("value")


def test_public_page_quotes_the_measure_and_fits_a_phone(server, page, phone):
    page.goto(server + "/voice")
    text = get_policy().measure("m27").text
    quotes = page.locator("[data-test=basis]").all_inner_texts()
    assert any("“三个听取”行动" in q for q in quotes) and any("“营商环境会客厅”" in q for q in quotes)
    assert all(q in text for q in quotes)
    assert page.locator("[data-test=stats]").is_visible()
    assert page.locator("form[data-test=raise]").count() == 0  # signing in comes first
    assert_labelled(page)
    shot(page, "voice-public")
    phone.goto(server + "/voice?lang=en")
    assert "Enterprise voice" in phone.locator("h1").inner_text()
    assert_fits(phone)
    shot(phone, "phone-voice-en")


def test_a_problem_is_routed_answered_and_rated(server, page, new_page):
    anonymous = new_page()
    before = _figures(anonymous, server)

    login(page, server, "ent-demo")
    page.goto(server + "/voice")
    form = page.locator("form[data-test=raise]")
    form.get_by_label("反映渠道").select_option("salon")
    form.get_by_label("涉及的政策措施").select_option("m07")
    form.get_by_label("问题标题").fill(SUBJECT)
    form.get_by_label("问题描述").fill("我司算力券已公示，请问何时拨付？")
    assert_labelled(page)
    try:
        due = add_working_days(clock.today(), 5)
    except Refused:  # a year the holiday calendar does not cover yet: refused, shown, nothing stored
        form.get_by_role("button", name="提交", exact=True).click()
        assert page.locator("[role=alert]").is_visible()
        pytest.skip("no official holiday schedule for the coming days")
    form.get_by_role("button", name="提交", exact=True).click()
    page.wait_for_url(re.compile(r"/voice\?raised=\d+"))
    ticket = re.search(r"raised=(\d+)", page.url).group(1)
    assert "市工业和信息化局" in page.locator("[data-test=raised-msg]").inner_text()
    mine = page.locator(f'[data-test=mine] [data-ticket="{ticket}"]')
    assert mine.locator("[data-test=department]").inner_text() == "市工业和信息化局"
    assert mine.locator("[data-test=due]").inner_text() == due.isoformat()
    assert mine.locator("[data-test=status]").get_attribute("data-status") == "open"
    assert mine.locator("form[data-test=rate]").count() == 0  # not before it is answered
    shot(page, "voice-raised")

    shangwu = new_page()
    login(shangwu, server, "rev-shangwu")
    shangwu.goto(server + "/voice/inbox")
    assert shangwu.locator(f'[data-ticket="{ticket}"]').count() == 0
    assert SUBJECT not in shangwu.locator("main").inner_text()
    refused = shangwu.request.post(f"{server}/voice/{ticket}/answer", form={"csrf_token": _csrf(shangwu), "answer": "不是我们"})
    assert refused.status == 403 and "无权访问" in refused.text()
    assert_labelled(shangwu)

    gongxin = new_page()
    login(gongxin, server, "rev-gongxin")
    gongxin.goto(server + "/voice/inbox")
    card = gongxin.locator(f'[data-test=inbox] [data-ticket="{ticket}"]')
    assert card.locator("[data-test=due]").inner_text() == due.isoformat()
    assert card.locator("[data-test=overdue]").count() == 0 and card.locator("[data-test=escalated]").count() == 0
    assert_labelled(gongxin)
    shot(gongxin, "voice-inbox")
    card.locator("form[data-test=answer-form] button").click()  # empty: refused with the field named
    alert = gongxin.locator("[role=alert]")
    assert alert.get_attribute("data-field") == "answer" and "答复内容" in alert.inner_text()
    card = gongxin.locator(f'[data-test=inbox] [data-ticket="{ticket}"]')
    card.get_by_label(f"答复“{SUBJECT}”").fill("公示期满后5个工作日内拨付。")
    card.get_by_role("button", name="提交答复").click()
    gongxin.wait_for_url(re.compile(r"answered=1"))
    card = gongxin.locator(f'[data-test=inbox] [data-ticket="{ticket}"]')
    assert "公示期满后5个工作日内拨付。" in card.locator("[data-test=answer]").inner_text()
    assert card.locator("[data-test=status]").get_attribute("data-status") == "answered"

    page.goto(server + "/voice")
    mine = page.locator(f'[data-test=mine] [data-ticket="{ticket}"]')
    assert "公示期满后5个工作日内拨付。" in mine.locator("[data-test=answer]").inner_text()
    mine.get_by_label("5 分").check()
    mine.get_by_role("button", name="提交评价").click()
    page.wait_for_url(re.compile(r"rated=1"))
    mine = page.locator(f'[data-test=mine] [data-ticket="{ticket}"]')
    assert mine.locator("[data-test=status]").get_attribute("data-status") == "closed"
    assert mine.locator("[data-test=rating]").inner_text() == "评分：5 分"
    shot(page, "voice-rated")

    after = _figures(anonymous, server)
    assert int(after["raised"]) == int(before["raised"]) + 1
    assert int(after["answered"]) == int(before["answered"]) + 1
    if before["raised"] == "0":
        assert after == {"raised": "1", "answered": "1", "on-time": "100.0%", "rating": "5.00"}
    assert SUBJECT not in anonymous.locator("main").inner_text()  # figures only, no problem or enterprise
    shot(anonymous, "voice-public-figures")


def test_a_refused_problem_names_the_field_and_stores_nothing(server, page, phone):
    login(page, server, "ent-demo")
    page.goto(server + "/voice")
    count = page.locator("[data-test=mine] [data-ticket]").count()
    form = page.locator("form[data-test=raise]")
    form.get_by_label("问题标题").fill("没有选择措施的问题")
    form.get_by_label("问题描述").fill("内容")
    form.get_by_role("button", name="提交", exact=True).click()
    alert = page.locator("[role=alert]")
    assert alert.get_attribute("data-field") == "measure_id" and "涉及的政策措施" in alert.inner_text()
    assert page.get_by_label("问题标题").input_value() == "没有选择措施的问题"
    page.goto(server + "/voice")
    assert page.locator("[data-test=mine] [data-ticket]").count() == count

    login(phone, server, "ent-demo")
    phone.goto(server + "/voice")
    assert_fits(phone)
    assert_labelled(phone)
    shot(phone, "phone-voice")
    login(phone, server, "admin")
    phone.goto(server + "/voice/inbox")
    assert_fits(phone)
    shot(phone, "phone-voice-inbox-admin")


def test_only_departments_open_the_inbox(server, page):
    r = page.request.get(server + "/voice/inbox", max_redirects=0)
    assert r.status == 303 and "/login" in r.headers["location"]
    login(page, server, "ent-demo")
    assert page.request.get(server + "/voice/inbox", max_redirects=0).status == 403


def test_the_admin_sees_every_department_and_the_escalation_list(db):  # noqa: F811
    """Over HTTP on a database with a problem past its deadline: opening the inbox escalates it once."""
    from fastapi.testclient import TestClient

    from huiqi.api.app import create_app
    from huiqi.delivery import voice
    from huiqi.storage.models_delivery import VoiceTicket
    from huiqi.workflow import accounts

    with db.transaction() as s:
        ent = accounts.create_user(s, "ent", "password-123", "applicant", credit_code="91530100MA6K3YXF8W")
        accounts.create_user(s, "adm", "password-123", "admin")
        accounts.create_user(s, "gx", "password-123", "reviewer", department="市工业和信息化局")
        old = voice.raise_ticket(s, ent, "逾期未答复的问题", "内容", dt.date(2024, 9, 30), measure_id="m07")
        fresh = voice.raise_ticket(s, ent, "商务问题", "内容", dt.date(2024, 9, 30),
                                   department="市商务局")
        old_id, fresh_id = old.id, fresh.id
    client = TestClient(create_app(db), base_url="https://testserver")

    def sign_in(name):
        client.cookies.clear()
        r = client.post("/login", data={"username": name, "password": "password-123", "next": "/voice/inbox"},
                        follow_redirects=True)
        assert r.status_code == 200 and "/voice/inbox" in str(r.url)
        return r.text

    page = sign_in("adm")
    assert "督办清单" in page and "逾期未答复的问题" in page and "商务问题" in page  # every department
    with db.transaction() as s:
        escalated = {t.id: t.escalated_on for t in s.query(VoiceTicket)}
    assert escalated[old_id] == clock.today() and escalated[fresh_id] == clock.today()
    client.get("/voice/inbox")  # idempotent: escalated once, the date kept
    with db.transaction() as s:
        assert s.get(VoiceTicket, old_id).escalated_on == clock.today()
    page = sign_in("gx")
    assert "逾期未答复的问题" in page and "商务问题" not in page and "督办清单" not in page
    assert "已逾期" in page and "已督办" in page


def test_english_pages_have_no_missing_text(server, page):
    login(page, server, "ent-demo")
    page.goto(server + "/voice?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    text = page.locator("main").inner_text()
    assert "Raise a problem" in text and not re.search(r"\bvc\.[a-z_.]+", text)
    shot(page, "voice-en")
    page.goto(server + "/voice?lang=zh")  # the sign-in helper types into the Chinese form
    login(page, server, "admin")
    page.goto(server + "/voice/inbox?lang=en")
    text = page.locator("main").inner_text()
    assert "Escalation list" in text and not re.search(r"\bvc\.[a-z_.]+", text)
    page.goto(server + "/voice/inbox?lang=zh")
