"""The enterprise portal in a real browser: apply from the calculator (signing in on the way keeps
the calculation), upload evidence, submit, follow the timeline; the enterprise's profile, benefits,
applications and 免申即享 offers; another enterprise's application is never shown."""

from __future__ import annotations

import csv
import os
import json
import re
import subprocess
import sys

from tests.web.conftest import PASSWORD, assert_fits, assert_labelled, login, shot

DEMO_CODE = "91530100MA6K3YXF8W"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _calculate(page, server, event_id):
    page.goto(server + "/calculator")
    page.get_by_label("名称（企业名称或姓名）").fill("昆明示例智能科技有限公司")
    page.get_by_label("统一社会信用代码").fill(DEMO_CODE)
    page.get_by_label("所在县（市、区）").select_option("530111")
    page.get_by_label("国民经济行业代码").fill("6513")
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("算力支出（算力券）").check()
    page.locator("#f-compute_claims-0-date").fill("2024-05-10")
    page.locator("#f-compute_claims-0-category").select_option("compute_rental")
    page.locator("#f-compute_claims-0-spend").fill("1000000.00")
    page.locator("#f-compute_claims-0-id").fill(event_id)
    page.locator("[data-test=calculate]").click()
    page.locator("[data-test=confirm]").click()  # 核对信息, then the results
    page.wait_for_url(re.compile(r"/calculator/result\?"))
    return page.locator(f'[data-test=eligible] [data-provision="m07.compute_voucher"][data-event="{event_id}"]')


def test_apply_sign_in_upload_and_submit(server, page, tmp_path):
    card = _calculate(page, server, "c9")
    card.locator("[data-test=apply]").click()
    page.wait_for_url(re.compile(r"/login\?next="))
    page.get_by_label("用户名").fill("ent-demo")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    # back on the answer, the calculation kept and the chosen benefit marked
    page.wait_for_url(re.compile(r"/calculator/result\?"))
    assert page.locator("[data-test=apply-ready]").is_visible()
    card = page.locator('.benefit.highlight[data-provision="m07.compute_voucher"]')
    assert card.get_attribute("data-event") == "c9"
    # signed in, the answer counts the year's ¥360,000 the demo enterprise already has approved (its #1): of the
    # ¥300,000 this spending computes, ¥140,000 is left under the ¥500,000 ceiling (the frozen entitlement below
    # is the claim's own computation; the ledger holds the ceiling at approval)
    assert "¥140,000.00" in card.locator("[data-test=amount]").inner_text()
    card.locator("[data-test=declaration]").check()  # 信用承诺
    card.locator("[data-test=apply]").click()
    page.wait_for_url(re.compile(r"/portal/applications/\d+\?done=created"))
    app_url = page.url.split("?")[0]
    assert page.locator("[data-test=status]").inner_text() == "草稿"
    assert "¥300,000.00" in page.locator("[data-test=amount]").inner_text()  # the expected result before submission
    assert page.locator("[data-test=evidence-none]").is_visible()
    assert_labelled(page)
    shot(page, "portal-application-draft")
    # a file that is not a PDF or an image is refused with a message
    bad = tmp_path / "notes.txt"
    bad.write_bytes(b"just some text")
    page.get_by_label("选择文件（PDF、PNG、JPEG，不超过 10 MB）").set_input_files(str(bad))
    page.locator("[data-test=upload]").click()
    page.wait_for_load_state("networkidle")
    assert "仅接受PDF、PNG、JPEG文件" in page.locator("[role=alert]").inner_text()
    # a small PDF is accepted
    pdf = tmp_path / "invoice.pdf"
    pdf.write_bytes(PDF)
    page.get_by_label("选择文件（PDF、PNG、JPEG，不超过 10 MB）").set_input_files(str(pdf))
    page.locator("[data-test=upload]").click()
    page.wait_for_url(re.compile(r"\?done=uploaded"))
    assert "invoice.pdf" in page.locator("[data-test=evidence]").inner_text()
    # a date outside the policy period is refused; the default (2024-12-31) is inside
    assert page.get_by_label("计算日期", exact=True).input_value() == "2024-12-31"
    page.get_by_label("计算日期", exact=True).fill("2025-03-01")
    page.locator("[data-test=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "政策执行期" in page.locator("[role=alert]").inner_text()
    page.get_by_label("计算日期", exact=True).fill("2024-12-31")
    page.locator("[data-test=submit]").click()
    page.wait_for_url(re.compile(r"\?done=submitted"))
    assert page.locator("[data-test=status]").inner_text() == "已提交"
    assert "已提交" in page.locator("[data-test=timeline]").inner_text()
    frozen = page.locator("[data-test=entitlement]")
    assert "¥300,000.00" in frozen.locator("[data-test=amount]").inner_text()
    assert "按实际支出费用给予30%补助" in frozen.locator("[data-test=citation]").inner_text()
    assert page.locator("[data-test=submit]").count() == 0
    shot(page, "portal-application-submitted")
    page.locator("[data-test=lang-switch]").click()
    assert "Conditions met: ¥300,000.00" in page.locator("[data-test=explanation]").inner_text()
    assert page.locator("[data-test=status]").inner_text() == "Submitted"
    shot(page, "portal-application-en")
    page.locator("[data-test=lang-switch]").click()
    # the application is in the list, and the profile is kept for the portal
    page.goto(server + "/portal")
    app_id = app_url.rsplit("/", 1)[1]
    assert page.locator(f'[data-application="{app_id}"]').get_attribute("data-status") == "submitted"
    # the calculator now says the claim is applied for, with a link to the application
    card = _calculate(page, server, "c9")
    assert card.locator("[data-test=apply]").count() == 0
    assert card.locator("[data-test=applied]").get_attribute("href") == f"/portal/applications/{app_id}"
    # one live application per claim: a second application for c9 (posted by hand) is refused on submission
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    profile = {"kind": "enterprise", "name": "昆明示例智能科技有限公司", "credit_code": DEMO_CODE, "district": "530111",
               "industry": "6513", "compute_claims": [{"id": "c9", "date": "2024-05-10", "category": "compute_rental",
                                                       "spend": "1000000.00"}]}
    form = {"csrf_token": csrf, "profile": json.dumps(profile, ensure_ascii=False), "as_of": "2024-12-31"}
    form.update(provision_id="m07.compute_voucher", event_id="c9", declaration="yes")
    r = page.request.post(server + "/calculator/apply", form=form, max_redirects=0)
    assert r.status == 303 and "/portal/applications/" in r.headers["location"]
    page.goto(server + r.headers["location"])
    page.locator("[data-test=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "同一事项已有在办申请" in page.locator("[role=alert]").inner_text()
    page.locator("[data-test=cancel]").click()
    page.wait_for_url(re.compile(r"\?done=cancelled"))
    assert page.locator("[data-test=status]").inner_text() == "已撤销"
    assert page.locator("[data-test=cancel]").count() == 0 and page.locator("[data-test=submit]").count() == 0


def test_applying_with_another_enterprises_code_is_refused(server, page):
    login(page, server, "ent-demo")
    page.goto(server + "/calculator")
    page.get_by_label("名称（企业名称或姓名）").fill("别家公司")
    page.get_by_label("统一社会信用代码").fill(_other_code())
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("算力支出（算力券）").check()
    page.locator("#f-compute_claims-0-date").fill("2024-05-10")
    page.locator("#f-compute_claims-0-category").select_option("model_service")
    page.locator("#f-compute_claims-0-spend").fill("100000")
    page.locator("[data-test=calculate]").click()
    page.locator("[data-test=confirm]").click()  # 核对信息, then the results
    page.wait_for_url(re.compile(r"/calculator/result\?"))
    page.locator('[data-provision="m07.compute_voucher"] [data-test=declaration]').check()
    page.locator('[data-provision="m07.compute_voucher"] [data-test=apply]').click()
    page.wait_for_load_state("networkidle")
    alert = page.locator("[data-test=apply-error]")
    assert "统一社会信用代码与申请人账户不一致" in alert.inner_text()
    assert page.locator('[data-provision="m07.compute_voucher"]').is_visible()  # the calculation is still shown


def _other_code() -> str:
    from huiqi.standards.uscc import make_uscc

    return make_uscc("91530102MA0000001")


def test_portal_shows_profile_benefits_and_applications(server, page):
    login(page, server, "ent-demo")
    page.goto(server + "/portal")
    assert "昆明示例智能科技有限公司" in page.locator("[data-test=profile]").inner_text()
    assert "官渡区" in page.locator("[data-test=profile]").inner_text()
    statuses = {row.get_attribute("data-status") for row in page.locator("[data-application]").all()}
    assert {"public_notice", "under_review", "draft"} <= statuses
    assert "公示中" in page.locator("[data-test=applications]").inner_text()
    # its benefits now, from the stored profile: the compute vouchers within the yearly ceiling
    benefits = page.locator("[data-test=benefits]")
    assert benefits.locator('[data-provision="m07.compute_voucher"]').count() >= 1
    assert "¥" in page.locator("[data-test=total]").inner_text()
    assert_labelled(page)
    shot(page, "portal-home")
    # the link to change the profile opens the calculator filled in
    page.locator("[data-test=edit-profile]").click()
    assert page.locator("#f-compute_claims-0-id").input_value() in ("c1", "c9")  # the last profile applied with
    assert page.get_by_label("算力支出（算力券）").is_checked()
    # the demo application in public notice shows its frozen answer and timeline
    page.goto(server + "/portal")
    page.locator('[data-status="public_notice"] a').first.click()
    assert "公示中" in page.locator("[data-test=timeline]").inner_text()
    assert page.locator("[data-test=entitlement] [data-test=citation]").count() == 1
    assert page.locator("[data-test=submit]").count() == 0 and page.locator("[data-test=cancel]").count() == 0
    shot(page, "portal-application-public-notice")


def test_offers_are_confirmed_in_one_click(server, page, tmp_path, tmp_path_factory):
    reg = tmp_path / "reg"
    reg.mkdir()
    with (reg / "entities.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["entity_id", "kind", "name", "credit_code", "industry"])
        w.writerow(["E1", "enterprise", "昆明示例智能科技有限公司", DEMO_CODE, "6513"])
    with (reg / "compute_claims.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["entity_id", "id", "date", "category", "spend"])
        w.writerow(["E1", "c7", "2024-05-10", "model_service", "100000.00"])
    # the newest "web" folder is this module's server (module-scoped fixture)
    folder = max(tmp_path_factory.getbasetemp().glob("web*"), key=lambda p: p.stat().st_mtime)
    env = {**os.environ, "HUIQI_DATABASE_URL": f"sqlite:///{folder / 'huiqi.db'}"}
    subprocess.run([sys.executable, "-m", "huiqi.cli", "offers", str(reg), "--as-of", "2024-06-01"],
                   env=env, check=True, capture_output=True, timeout=120)
    login(page, server, "ent-demo")
    page.goto(server + "/portal")
    row = page.locator("[data-test=offers] tr", has_text="2024-05-10").filter(has_text="算力券")
    assert "¥30,000.00" in row.inner_text()
    assert "第1笔" in row.inner_text() and "c7" not in row.inner_text()  # the claim in words, not its id
    shot(page, "portal-offers")
    row.locator("[data-test=confirm-offer]").click()
    page.wait_for_url(re.compile(r"/portal/applications/\d+\?done=confirmed"))
    assert page.locator("[data-test=status]").inner_text() == "已提交"
    assert "¥30,000.00" in page.locator("[data-test=entitlement] [data-test=amount]").inner_text()
    page.goto(server + "/portal")
    assert "已确认" in page.locator("[data-test=offers] tr", has_text="2024-05-10").filter(has_text="算力券").inner_text()
    mine = page.locator("[data-test=profile]").inner_text() + page.locator("main table").first.inner_text()
    assert not re.search(r"\bc\d+\b", mine), mine  # neither the recorded claims nor the applications show ids


def test_another_enterprises_application_is_not_found(server, page, new_page):
    # an admin creates a second enterprise account through the API
    r = page.request.post(server + "/api/v1/auth/login", data={"username": "admin", "password": PASSWORD})
    csrf = r.json()["csrf_token"]
    r = page.request.post(server + "/api/v1/users", headers={"X-CSRF-Token": csrf}, data={
        "username": "ent-other", "password": "another-password-1", "role": "applicant",
        "display_name": "另一家企业", "credit_code": _other_code()})
    assert r.status == 201, r.text()
    other = new_page()
    login(other, server, "ent-other", "another-password-1")
    other.goto(server + "/portal")
    assert other.locator("[data-test=applications-none]").is_visible()
    assert other.locator("[data-test=profile-none]").is_visible()
    shot(other, "portal-empty")
    # ent-demo's application #1 (in public notice): not found, not "forbidden", and nothing shown
    for path in ("/portal/applications/1", "/portal/applications/999999", "/portal/applications/abc"):
        r = other.request.get(server + path)
        assert r.status == 404
        assert "昆明示例智能科技有限公司" not in r.text() and "未找到" in r.text()
    pdf = {"name": "x.pdf", "mimeType": "application/pdf", "buffer": PDF}
    token = re.search(r'name="csrf_token" value="([^"]+)"', other.content()).group(1)
    r = other.request.post(server + "/portal/applications/1/evidence", multipart={"csrf_token": token, "file": pdf})
    assert r.status == 404
    r = other.request.post(server + "/portal/applications/2/cancel", form={"csrf_token": token})
    assert r.status == 404
    # an administrator is not an applicant: the portal is not theirs (403, checked without navigating)
    r = page.request.get(server + "/portal")
    assert r.status == 403


def test_portal_fits_a_phone(server, phone):
    login(phone, server, "ent-demo")
    phone.goto(server + "/portal")
    assert_fits(phone)
    assert_labelled(phone)
    shot(phone, "phone-portal-home")
    phone.locator('[data-status="draft"] a').first.click()
    assert_fits(phone)
    assert_labelled(phone)
    shot(phone, "phone-portal-application")
