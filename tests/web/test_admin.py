"""Administration in a real browser: users and roles (create a reviewer who then signs in; a bad
credit code or a missing department names the field and creates nothing; a resident needs none), only administrators get
in, and policy parameters with their history (a dated change with a reason shows in the history and
as the measure's value from that date; no reason, no change)."""

from __future__ import annotations

import re

from tests.web.conftest import PASSWORD, assert_fits, assert_labelled, login, shot

NEW_PASSWORD = "reviewer-pass-2024"


def _user_rows(page) -> list[str]:
    return page.locator("[data-test=users] tr[data-user]").evaluate_all("rows => rows.map(r => r.dataset.user)")


def _submit(page, path: str):
    """Submit the form and return the response of the POST (the page is shown again with 200 on refusal)."""
    with page.expect_response(lambda r: r.url.endswith(path) and r.request.method == "POST") as info:
        page.locator(f'form[action^="{path}"]:not([action$="/access"]) button[type=submit]').click()
    page.wait_for_load_state()
    return info.value


def test_admin_creates_a_reviewer_who_can_sign_in(server, page, new_page):
    login(page, server, "admin")
    page.goto(server + "/admin")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert {"admin", "ent-demo", "rev-gongxin", "rev-shangwu", "fin-demo"} <= set(_user_rows(page))
    ent = page.locator('[data-test=users] tr[data-user="ent-demo"]')
    assert "91530100MA6K3YXF8W" in ent.inner_text() and ent.locator("[data-test=locked]").inner_text() == "否"
    assert page.locator('[data-test=users] tr[data-user="rev-gongxin"] [data-test=department]').inner_text() == "市工业和信息化局"
    assert_labelled(page)
    shot(page, "admin-users")

    page.get_by_label("用户名").fill("rev-jiaotong")
    page.get_by_label("显示名称（可选）").fill("市交通运输局审核员")
    page.get_by_label("初始密码").fill(NEW_PASSWORD)
    page.get_by_label("角色").select_option("reviewer")
    page.get_by_label("所属部门").select_option("市交通运输局")
    response = _submit(page, "/admin/users")
    assert response.status == 303
    assert "已创建用户 rev-jiaotong" in page.locator("[data-test=created]").inner_text()
    row = page.locator('[data-test=users] tr[data-user="rev-jiaotong"]')
    assert row.locator("[data-test=role]").inner_text() == "审核员"
    assert row.locator("[data-test=department]").inner_text() == "市交通运输局"
    shot(page, "admin-user-created")

    other = new_page()
    login(other, server, "rev-jiaotong", NEW_PASSWORD)
    assert "市交通运输局" in other.locator("[data-test=who]").inner_text()


def test_bad_input_names_the_field_and_creates_nothing(server, page):
    login(page, server, "admin")
    page.goto(server + "/admin")
    before = _user_rows(page)

    # an applicant with a credit code whose check character is wrong
    page.get_by_label("用户名").fill("ent-bad-code")
    page.get_by_label("初始密码").fill("applicant-pass-1")
    page.get_by_label("角色").select_option("applicant")
    page.get_by_label("统一社会信用代码").fill("91530100MA6K3YXF8X")
    response = _submit(page, "/admin/users")
    assert response.status == 200  # the form again, not a 4xx document
    alert = page.locator("[role=alert]")
    assert alert.is_visible() and "统一社会信用代码" in alert.inner_text()
    assert page.locator("#credit_code").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("用户名").input_value() == "ent-bad-code"  # kept for correction
    assert page.get_by_label("初始密码").input_value() == ""  # never sent back
    assert _user_rows(page) == before
    shot(page, "admin-user-refused")

    # a reviewer without a department
    page.get_by_label("用户名").fill("rev-nodept")
    page.get_by_label("初始密码").fill("reviewer-pass-1")
    page.get_by_label("角色").select_option("reviewer")
    page.get_by_label("所属部门").select_option("")
    _submit(page, "/admin/users")
    assert "所属部门" in page.locator("[role=alert]").inner_text()

    # a short password, and a username already taken
    page.get_by_label("所属部门").select_option("市商务局")
    page.get_by_label("初始密码").fill("short")
    _submit(page, "/admin/users")
    assert "初始密码" in page.locator("[role=alert]").inner_text()
    page.get_by_label("用户名").fill("rev-gongxin")
    page.get_by_label("初始密码").fill("reviewer-pass-1")
    _submit(page, "/admin/users")
    assert "用户名" in page.locator("[role=alert]").inner_text()
    assert _user_rows(page) == before


def test_only_administrators_get_in(server, page):
    for path in ("/admin", "/admin/parameters"):
        anonymous = page.request.get(server + path, max_redirects=0)
        assert anonymous.status == 303 and "/login?next=" in anonymous.headers["location"]
    login(page, server, "ent-demo")
    for path in ("/admin", "/admin/parameters"):
        r = page.request.get(server + path)  # not navigated: a 403 document logs a console error
        assert r.status == 403 and "无权访问" in r.text()
    page.goto(server + "/")
    assert page.locator('a[href="/admin"]').count() == 0


def test_parameter_change_with_history(server, page):
    login(page, server, "admin")
    page.goto(server + "/admin/parameters")
    assert page.locator("[data-test=no-history]").is_visible()
    rate = page.locator('[data-test=parameters] tr[data-key="m07.compute_voucher:rate"]')
    assert "30%" in rate.locator("[data-test=values]").inner_text()
    assert page.locator("[data-test=parameters] tr[data-key]").count() >= 50
    assert_labelled(page)
    shot(page, "admin-parameters")

    rate.get_by_role("link", name=re.compile("^调整")).click()  # 调整: the form with this parameter chosen
    assert page.get_by_label("政策条款与参数").input_value() == "m07.compute_voucher:rate"
    page.get_by_label("新数值").fill("35%")
    page.get_by_label("生效日期").fill("2024-07-01")
    page.get_by_label("调整理由").fill("市工业和信息化局2024年第3号通知")
    response = _submit(page, "/admin/parameters")
    assert response.status == 303
    assert "2024-07-01" in page.locator("[data-test=saved]").inner_text()
    history = page.locator("[data-test=history] tr[data-change]")
    assert history.count() == 1
    assert history.first.get_attribute("data-key") == "m07.compute_voucher:rate"
    assert history.first.locator("[data-test=from]").inner_text() == "2024-07-01"
    assert history.first.locator("[data-test=value]").inner_text() == "35%"
    assert "第3号通知" in history.first.locator("[data-test=reason]").inner_text()
    values = page.locator('[data-test=parameters] tr[data-key="m07.compute_voucher:rate"] [data-test=values] li')
    assert values.count() == 2
    assert "30%" in values.nth(0).inner_text() and "2024-06-30" in values.nth(0).inner_text()
    assert values.nth(1).get_attribute("data-from") == "2024-07-01" and "35%" in values.nth(1).inner_text()
    shot(page, "admin-parameter-changed")

    # the measure's page shows the new value from that date
    page.goto(server + "/measures/m07")
    card = page.locator('[data-provision="m07.compute_voucher"]')
    assert "35%" in card.inner_text() and "2024-07-01" in card.inner_text()
    assert "第3号通知" in page.locator("[data-test=changes]").inner_text()


def test_parameter_change_without_a_reason_is_refused(server, page):
    login(page, server, "admin")
    page.goto(server + "/admin/parameters?key=m07.compute_voucher:cap")
    before = page.locator("[data-test=history] tr[data-change]").count()
    page.get_by_label("新数值").fill("600000")
    page.get_by_label("生效日期").fill("2024-08-01")
    page.locator("#reason").evaluate("el => el.removeAttribute('required')")  # past the browser, to the server
    response = _submit(page, "/admin/parameters")
    assert response.status == 200
    alert = page.locator("[role=alert]")
    assert "调整理由" in alert.inner_text()
    assert page.locator("#reason").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("新数值").input_value() == "600000"  # kept for correction
    assert page.locator("[data-test=history] tr[data-change]").count() == before

    # a value that is not a number names the value
    page.get_by_label("新数值").fill("很多")
    page.get_by_label("调整理由").fill("测试")
    _submit(page, "/admin/parameters")
    assert "新数值" in page.locator("[role=alert]").inner_text()
    assert page.locator("[data-test=history] tr[data-change]").count() == before
    shot(page, "admin-parameter-refused")


def test_admin_pages_in_english_and_on_a_phone(server, page, phone):
    login(page, server, "admin")
    page.goto(server + "/admin?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Administration"
    assert page.get_by_label("Username").is_visible() and page.get_by_label("Department").is_visible()
    page.goto(server + "/admin/parameters")
    assert "Policy parameters and their history" in page.content()
    shot(page, "admin-parameters-en")
    page.goto(server + "/admin?lang=zh")

    login(phone, server, "admin")
    for path, name in (("/admin", "admin-users"), ("/admin/parameters", "admin-parameters")):
        phone.goto(server + path)
        assert_fits(phone)
        assert_labelled(phone)
        shot(phone, f"phone-{name}")


def test_admin_disables_and_enables_an_account(server, page, new_page):
    """停用 ends the user's sign-in at once; 启用 lets them in again."""
    login(page, server, "admin")
    page.goto(server + "/admin")
    with page.expect_navigation():
        page.locator('[data-user="rev-shangwu"] [data-test=disable]').click()
    assert page.locator('[data-user="rev-shangwu"] [data-test=locked] .pill').count() == 1
    other = new_page()
    r = other.request.post(server + "/api/v1/auth/login", data={"username": "rev-shangwu", "password": PASSWORD})
    assert r.status == 401
    assert page.locator('[data-user="admin"] [data-test=disable]').count() == 0  # not oneself
    with page.expect_navigation():
        page.locator('[data-user="rev-shangwu"] [data-test=enable]').click()
    r = other.request.post(server + "/api/v1/auth/login", data={"username": "rev-shangwu", "password": PASSWORD})
    assert r.status == 200


def test_a_resident_applicant_needs_no_credit_code(server, page):
    """Individuals (residents: 购房、创业担保贷款 …) apply without a credit code; enterprises give theirs."""
    login(page, server, "admin")
    page.goto(server + "/admin")
    page.get_by_label("用户名").fill("resident-li")
    page.get_by_label("初始密码").fill("resident-pass-1")
    page.get_by_label("角色").select_option("applicant")
    page.get_by_label("统一社会信用代码").fill("")
    response = _submit(page, "/admin/users")
    assert response.status in (200, 303)
    row = page.locator('[data-user="resident-li"]')
    assert row.count() == 1 and row.locator("[data-test=credit_code]").inner_text() == "—"
