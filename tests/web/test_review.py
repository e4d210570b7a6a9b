"""The reviewer's workspace and the finance queue in a real browser, on the demo data.

The tests of this module share one server and run in order: the story goes from the queue of the
市工业和信息化局 reviewer through refusals (above the entitlement, no reason, the yearly cap, another
department) to approval, publication by finance (公示) and disbursement.
Demo: #1 c1 in public notice (¥360,000.00), #2 c2 under review (¥90,000.00), #3 c3 draft.
"""

from __future__ import annotations

import hashlib

from tests.web.conftest import PHONE, assert_fits, assert_labelled, login, shot

C2 = 2  # the demo's application under review
C2_FEN = 9_000_000
PROFILE = {"kind": "enterprise", "name": "昆明示例智能科技有限公司", "credit_code": "91530100MA6K3YXF8W", "district": "530111",
           "industry": "6513", "size_class": "small"}
PDF = b"%PDF-1.4\n% huiqi test invoice\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _csrf(page) -> str:
    return page.locator("input[name=csrf_token]").first.get_attribute("value")


def _fen(page, test_id: str) -> int:
    return int(page.locator(f"[data-test={test_id}]").get_attribute("data-fen"))


def _submit(page, button_name: str):
    """Click a form's button and return the response of the page it leads to."""
    with page.expect_navigation() as nav:
        page.get_by_role("button", name=button_name, exact=True).click()
    return nav.value


def test_reviewer_queue_lists_the_departments_applications(server, page):
    login(page, server, "rev-gongxin")
    page.goto(server + "/review")
    assert page.locator("h1").inner_text() == "审核工作台"
    assert "市工业和信息化局" in page.locator("[data-test=department]").inner_text()
    row = page.locator("[data-test=waiting] [data-app='2']")
    text = row.inner_text()
    assert "昆明示例智能科技有限公司" in text and "91530100MA6K3YXF8W" in text and "算力券" in text
    assert "¥90,000.00" in text and "审核中" in text
    assert page.locator("[data-test=recent] [data-app='1']").count() == 1  # decided: in public notice
    assert page.locator("[data-app='3']").count() == 0  # a draft is the applicant's own
    assert_labelled(page)
    shot(page, "review-queue")


def test_evidence_is_listed_and_served_only_to_those_who_may_see_it(server, page, new_page):
    applicant = new_page()
    login(applicant, server, "ent-demo")
    r = applicant.request.post(f"{server}/api/v1/applications/{C2}/evidence", headers={"X-CSRF-Token": _csrf(applicant)},
                               multipart={"file": {"name": "算力发票.pdf", "mimeType": "application/pdf", "buffer": PDF}})
    assert r.status == 201, r.text()
    evidence_id = r.json()["id"]
    digest = hashlib.sha256(PDF).hexdigest()

    login(page, server, "rev-gongxin")
    page.goto(f"{server}/review/{C2}")
    row = page.locator(f"[data-test=evidence] [data-evidence='{evidence_id}']")
    assert "算力发票.pdf" in row.inner_text() and digest in row.inner_text() and f"{len(PDF)} B" in row.inner_text()
    with page.expect_download() as dl:
        row.get_by_role("link", name="算力发票.pdf").click()
    assert hashlib.sha256(open(dl.value.path(), "rb").read()).hexdigest() == digest
    url = f"{server}/review/{C2}/evidence/{evidence_id}"
    got = page.request.get(url)
    assert got.status == 200 and got.body() == PDF
    assert "filename*=UTF-8''%E7%AE%97" in got.headers["content-disposition"]
    assert applicant.request.get(url).status == 200  # the applicant may see its own file
    assert page.request.get(f"{server}/review/1/evidence/{evidence_id}").status == 404  # not that application's file

    other = new_page()
    login(other, server, "rev-shangwu")
    assert other.request.get(url).status == 403
    anonymous = new_page()
    r = anonymous.request.get(url, max_redirects=0)
    assert r.status == 303 and r.headers["location"].startswith("/login?next=")


def test_application_beside_the_engines_computation_and_the_pool(server, page):
    login(page, server, "rev-gongxin")
    page.goto(server + "/review")
    page.locator("[data-test=waiting] [data-app='2'] a").click()
    page.wait_for_url(f"**/review/{C2}")
    calc = page.locator("[data-test=computation]")
    assert _fen(page, "entitlement") == C2_FEN
    assert "¥90,000.00" in page.locator("[data-test=entitlement]").inner_text()
    assert "按30%计算" in page.locator("[data-test=explanation]").inner_text()
    assert "按实际支出费用给予30%补助，每年最高50万元" in calc.locator("[data-test=citation]").inner_text()
    assert "补助比例（按实际支出费用）\t30%" in calc.locator("[data-test=parameters]").inner_text()  # words, not keys
    assert "实际支出\t¥300,000.00" in calc.locator("[data-test=facts]").inner_text()
    shown = page.locator("[data-test=profile]").inner_text()
    assert "企业规模\t小型" in shown and "官渡区" in shown and "第7条 算力券" in shown
    assert page.locator("[data-test=policy-version]").inner_text().strip()
    pool = page.locator("[data-test=pool]")
    assert "¥30,000,000.00" in pool.inner_text()  # 设立总额3000万元的“算力券”
    assert _fen(page, "pool-available") == 3_000_000_000 - 36_000_000  # c1 is reserved
    assert _fen(page, "cap-used") == 36_000_000 and _fen(page, "cap-left") == 14_000_000
    # beside: the computation and the pool are in one row on a desktop
    box_app, box_calc = page.locator("#h-app").bounding_box(), page.locator("#h-calc").bounding_box()
    assert abs(box_app["y"] - box_calc["y"]) < 5 and box_calc["x"] > box_app["x"] + 300
    assert page.get_by_label("批准金额（元）").input_value() == "90000.00"
    timeline = page.locator("[data-test=timeline]").inner_text()
    assert "草稿 → 已提交" in timeline and "已提交 → 审核中" in timeline
    assert_labelled(page)
    shot(page, "review-detail")


def test_approving_above_the_entitlement_is_refused_and_nothing_changes(server, page):
    login(page, server, "rev-gongxin")
    page.goto(f"{server}/review/{C2}")
    available = _fen(page, "pool-available")
    for entered, words in (("90000.01", "超过测算金额"), ("100.005", "精确到分"), ("-5", "须大于零"), ("九万", "不是有效金额")):
        page.get_by_label("批准金额（元）").fill(entered)
        response = _submit(page, "批准")
        assert response.status == 200
        alert = page.locator("[role=alert]")
        assert "批准金额（元）" in alert.inner_text() and words in alert.inner_text(), alert.inner_text()
        assert page.get_by_label("批准金额（元）").input_value() == entered  # kept to correct
        assert page.locator("[data-test=status]").inner_text() == "审核中"
        assert _fen(page, "pool-available") == available
    shot(page, "review-refused-over-entitlement")
    page.goto(f"{server}/review/{C2}")
    assert page.locator("[role=alert]").count() == 0 and _fen(page, "pool-available") == available


def test_reject_and_return_need_a_reason(server, page):
    login(page, server, "rev-gongxin")
    page.goto(f"{server}/review/{C2}")
    for label, button in (("不予通过的理由", "不予通过"), ("需补充的材料或说明", "退回补充材料")):
        field = page.get_by_label(label)
        before = page.url
        page.get_by_role("button", name=button, exact=True).click()  # the browser asks for it first
        assert field.evaluate("el => el.validity.valueMissing")
        assert page.url == before
        field.evaluate("el => el.removeAttribute('required')")  # and the server refuses it too
        field.fill("   ")
        response = _submit(page, button)
        assert response.status == 200
        assert f"{label}：请填写理由" in page.locator("[role=alert]").inner_text()
        assert page.locator("[data-test=status]").inner_text() == "审核中"


def test_another_department_gets_403_and_does_not_see_it(server, page):
    login(page, server, "rev-shangwu")
    page.goto(server + "/review")
    assert "市商务局" in page.locator("[data-test=department]").inner_text()
    assert page.locator("[data-app]").count() == 0
    assert page.locator("[data-test=none-waiting]").is_visible()
    shot(page, "review-queue-other-department")
    r = page.request.get(f"{server}/review/{C2}")
    assert r.status == 403 and "无权访问" in r.text()
    r = page.request.post(f"{server}/review/{C2}/approve", form={"csrf_token": _csrf(page), "amount": "90000.00"})
    assert r.status == 403
    r = page.request.post(f"{server}/review/{C2}/reject", form={"csrf_token": _csrf(page), "reason": "试图越权"})
    assert r.status == 403


def test_not_signed_in_and_other_roles(server, new_page):
    anonymous = new_page()
    r = anonymous.request.get(f"{server}/review", max_redirects=0)
    assert r.status == 303 and r.headers["location"] == "/login?next=/review"
    applicant = new_page()
    login(applicant, server, "ent-demo")
    assert applicant.request.get(f"{server}/review").status == 403
    assert applicant.request.get(f"{server}/review/{C2}").status == 403
    reviewer = new_page()
    login(reviewer, server, "rev-gongxin")
    r = reviewer.request.post(f"{server}/review/{C2}/approve", form={"csrf_token": "wrong", "amount": "1.00"})
    assert r.status == 403
    assert reviewer.request.get(f"{server}/review/999999").status == 404


def test_approving_the_entitlement_reserves_exactly_that(server, page):
    login(page, server, "rev-gongxin")
    page.goto(f"{server}/review/{C2}")
    available, used = _fen(page, "pool-available"), _fen(page, "cap-used")
    assert page.get_by_label("批准金额（元）").input_value() == "90000.00"
    response = _submit(page, "批准")
    assert response.status == 200
    assert "已批准 ¥90,000.00" in page.locator("[data-test=message]").inner_text()
    assert page.locator("[data-test=status]").inner_text() == "已批准"
    assert _fen(page, "pool-available") == available - C2_FEN
    assert _fen(page, "cap-used") == used + C2_FEN
    assert page.locator("[data-test=approved]").inner_text() == "¥90,000.00"
    assert page.get_by_role("button", name="批准", exact=True).count() == 0
    shot(page, "review-approved")
    page.goto(server + "/review")
    assert page.locator("[data-test=waiting] [data-app='2']").count() == 0
    assert page.locator("[data-test=recent] [data-app='2']").count() == 1


def _api_new_application(page, server, claim: dict) -> int:
    """As the signed-in applicant: create and submit an application for one more compute claim."""
    csrf = _csrf(page)
    r = page.request.post(f"{server}/api/v1/applications", headers={"X-CSRF-Token": csrf},
                          data={"profile": {**PROFILE, "compute_claims": [claim]}, "provision_id": "m07.compute_voucher",
                                "event_id": claim["id"]})
    assert r.status == 201, r.text()
    app_id = r.json()["id"]
    r = page.request.post(f"{server}/api/v1/applications/{app_id}/submit", headers={"X-CSRF-Token": csrf},
                          data={"as_of": "2024-10-08"})
    assert r.status == 200, r.text()
    return app_id


def test_start_review_then_the_yearly_cap_refuses_and_return_works(server, page, new_page):
    applicant = new_page()
    login(applicant, server, "ent-demo")
    app_id = _api_new_application(applicant, server, {"id": "c4", "date": "2024-08-01", "category": "compute_rental",
                                                      "spend": "400000.00"})
    login(page, server, "rev-gongxin")
    page.goto(server + "/review")
    row = page.locator(f"[data-test=waiting] [data-app='{app_id}']")
    assert "已提交" in row.inner_text() and "¥120,000.00" in row.inner_text()
    first = page.locator("[data-test=waiting] [data-app]").first
    assert first.get_attribute("data-app") == str(app_id)  # submitted ones first
    row.locator("a").click()
    _submit(page, "开始审核")
    assert page.locator("[data-test=status]").inner_text() == "审核中"
    assert "已开始审核" in page.locator("[data-test=message]").inner_text()
    available = _fen(page, "pool-available")
    assert _fen(page, "cap-left") == 5_000_000  # 500,000 − 360,000 − 90,000
    response = _submit(page, "批准")  # 120,000 prefilled: above what is left of the yearly cap
    assert response.status == 200
    assert "¥120,000.00 超过该企业本年度剩余上限 ¥50,000.00，不能批准" in page.locator("[role=alert]").inner_text()
    assert page.locator("[data-test=status]").inner_text() == "审核中"
    assert _fen(page, "pool-available") == available and _fen(page, "cap-left") == 5_000_000
    shot(page, "review-refused-cap")
    page.get_by_label("需补充的材料或说明").fill("请补充算力租赁合同及发票")
    _submit(page, "退回补充材料")
    assert page.locator("[data-test=status]").inner_text() == "退回补充材料"
    assert "请补充算力租赁合同及发票" in page.locator("[data-test=timeline]").inner_text()


def test_a_stale_form_is_refused_with_a_message(server, page, new_page):
    applicant = new_page()
    login(applicant, server, "ent-demo")
    app_id = _api_new_application(applicant, server, {"id": "c5", "date": "2024-08-02", "category": "model_product",
                                                      "spend": "10000.00"})
    login(page, server, "rev-gongxin")
    page.goto(f"{server}/review/{app_id}")
    other = new_page()
    login(other, server, "rev-gongxin")
    other.goto(f"{server}/review/{app_id}")
    _submit(other, "开始审核")
    response = _submit(page, "开始审核")  # the first tab still shows the old status
    assert response.status == 200
    alert = page.locator("[role=alert]").inner_text()
    assert "当前状态（审核中）不允许此操作" in alert and "已被他人处理" in alert
    assert page.locator("[data-test=status]").inner_text() == "审核中"


def test_finance_publishes_then_disburses_after_the_notice(server, page):
    login(page, server, "fin-demo")
    page.goto(server + "/review")
    assert page.locator("h1").inner_text() == "财政工作台：公示与拨付"
    row = page.locator("[data-test=to-publish] [data-app='2']")
    assert "¥90,000.00" in row.inner_text()
    assert page.get_by_label("第 2 号申请的公示期（工作日）").input_value() == "5"
    assert "公示期已满" in page.locator("[data-test=in-notice] [data-app='1']").inner_text()
    assert_labelled(page)
    shot(page, "finance-queue")
    with page.expect_navigation():
        row.get_by_role("button", name="公示").click()
    assert "#2 已公示，公示至" in page.locator("[data-test=message]").inner_text()
    published = page.locator("[data-test=in-notice] [data-app='2']")
    assert "公示至" in published.inner_text()
    assert published.get_by_role("link", name="办理拨付").count() == 0  # not while its notice runs
    refused = page.request.post(f"{server}/review/2/disburse", form={
        "csrf_token": _csrf(page), "voucher": "CZ-2025-0001", "paid_on": "2024-12-31", "confirm": "yes"})
    assert "未满，暂不能拨付" in refused.text()
    # paying is a form of its own: voucher number, date of payment and a ticked confirmation
    page.locator("[data-test=in-notice] [data-app='1']").get_by_role("link", name="办理拨付").click()
    form = page.locator("[data-test=disburse-form]")
    form.get_by_label("拨付凭证号").fill("CZ-2024-0915")
    form.get_by_label("拨付日期").fill("2024-12-30")
    form.get_by_role("button", name="拨付 ¥360,000.00").click()
    assert form.get_by_role("checkbox").evaluate("el => el.validity.valueMissing")  # the browser asks first
    form.get_by_role("checkbox").evaluate("el => el.removeAttribute('required')")
    with page.expect_navigation():
        form.get_by_role("button", name="拨付 ¥360,000.00").click()
    assert "请勾选确认后再拨付" in page.locator("[role=alert]").inner_text()
    assert page.locator("[data-test=disburse-form]").get_by_label("拨付凭证号").input_value() == "CZ-2024-0915"  # kept
    page.locator("[data-test=disburse-form]").get_by_role("checkbox").check()
    with page.expect_navigation():
        page.locator("[data-test=disburse-form]").get_by_role("button", name="拨付 ¥360,000.00").click()
    assert "已拨付 ¥360,000.00" in page.locator("[data-test=message]").inner_text()
    assert page.locator("[data-test=status]").inner_text() == "已拨付"
    assert "已拨付" in page.locator("[data-test=pool]").inner_text()
    timeline = page.locator("[data-test=timeline]").inner_text()
    assert "拨付日期2024-12-30" in timeline and "凭证号CZ-2024-0915" in timeline
    page.goto(server + "/review")
    assert page.locator("[data-test=recent] [data-app='1']").count() == 1
    shot(page, "finance-queue-after")

    page.goto(server + "/notices")
    current = page.locator("[data-test=current] [data-app='2']")
    assert "¥90,000.00" in current.inner_text() and "昆明示例智能科技有限公司" in current.inner_text()
    paid = page.locator("[data-test=disbursed] [data-app='1']")
    assert paid.count() == 1 and paid.locator("[data-test=paid-on]").inner_text() == "2024-12-30"


def test_english_and_phone(server, page, new_page):
    login(page, server, "rev-gongxin")
    page.goto(f"{server}/review/{C2}?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "The computation (as at submission)" in page.content() and "Dedicated fund" in page.content()
    shot(page, "review-detail-en")
    page.goto(f"{server}/review/5")  # c5, under review since the stale-form test; ¥3,000.00 computed
    page.get_by_label("Amount to approve (yuan)").fill("999999")
    assert _submit(page, "Approve").status == 200
    assert ("Amount to approve (yuan): ¥999,999.00 is above the computed ¥3,000.00; not approved"
            in page.locator("[role=alert]").inner_text())
    page.goto(f"{server}/review?lang=zh")

    for user, paths in (("rev-gongxin", ["/review", f"/review/{C2}", "/review/4"]), ("fin-demo", ["/review", "/review/2"])):
        phone = new_page(PHONE)
        login(phone, server, user)
        for path in paths:
            phone.goto(server + path)
            assert_fits(phone)
            assert_labelled(phone)
            shot(phone, f"phone-review-{user}-{path.strip('/').replace('/', '-')}")
