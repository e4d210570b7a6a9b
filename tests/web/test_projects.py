"""The project registry (项目库) in a real browser: a workbook imported with one bad row named by its
number, the m17 figures computed from the registry at their boundaries, a project's engine judgement,
milestones and plan, read-only for other departments, and a four-zone case where each zone moves
only its own status."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook, load_workbook

from tests.web.conftest import PASSWORD, assert_fits, assert_labelled, login, shot

CREDIT_CODE = "91530100MA6K3YXF8W"
USERS = {"t-touzi": "市投资促进局", "t-mohan": "磨憨—磨丁合作区管委会", "t-jingkai": "经开区管委会"}
HEADER = ["项目编号", "项目名称", "投资方", "统一社会信用代码", "投资方来源", "总投资（元）", "项目阶段", "引进日期", "产业链", "涉及措施"]
ROWS = [  # row 2 onwards; (code, name, investor, credit code, origin, total, stage, introduced, chain, measures)
    ["TZ-001", "某省外亿元装备项目", "甲公司", CREDIT_CODE, "省外", "100000000.00", "前期", "2024-03-01", "先进装备制造", "m17"],
    ["TZ-002", "某省内材料项目", "乙公司", None, "省内", "500000000.00", "开工", "2024-04-01", "新材料", "m16,m17"],
    ["TZ-003", "某省外十亿元电池项目", "丙公司", None, "省外", "1000000000.00", "储备", "2024-05-01", "新能源电池", "m17"],
    ["TZ-004", "金额有误的项目", "丁公司", None, "省外", "12.345", "前期", "2024-05-02", None, "m17"],
    ["TZ-005", "差一分的项目", "戊公司", None, "省外", "99999999.99", "前期", "2024-06-01", None, "m17"],
]
_made: set[str] = set()


def _users(server, new_page) -> None:
    if _made:
        return
    admin = new_page()
    answer = admin.request.post(server + "/api/v1/auth/login", data={"username": "admin", "password": PASSWORD})
    assert answer.ok, answer.text()
    csrf = answer.json()["csrf_token"]
    for name, dept in USERS.items():
        made = admin.request.post(server + "/api/v1/users", headers={"X-CSRF-Token": csrf},
                                  data={"username": name, "password": PASSWORD, "role": "reviewer", "department": dept,
                                        "display_name": dept})
        assert made.status == 201, made.text()
        _made.add(name)


def _figures(page) -> dict[str, int]:
    return {el.get_attribute("data-target"): int(el.get_attribute("data-actual"))
            for el in page.locator("[data-target]").all()}


def _workbook(path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in ROWS:
        ws.append(r)
    wb.save(path)


def test_import_with_a_bad_row_and_the_m17_figures(server, page, new_page, tmp_path):
    _users(server, new_page)
    login(page, server, "t-touzi")
    page.goto(server + "/projects")
    before = _figures(page)
    assert {"m17.out_of_province_projects_100m", "m17.out_of_province_projects_1bn", "m16.projects_to_start"} <= set(before)
    path = tmp_path / "项目.xlsx"
    _workbook(path)
    page.set_input_files("#pj-import-file", str(path))
    page.get_by_role("button", name="导入").click()
    assert page.locator("[data-test=imported]").get_attribute("data-imported") == "4"
    bad = page.locator("[data-test=import-errors] tbody tr")
    assert bad.count() == 1 and bad.first.get_attribute("data-row") == "5"
    assert "总投资（元）" in bad.first.inner_text()
    for code in ("TZ-001", "TZ-002", "TZ-003", "TZ-005"):
        assert page.locator(f'[data-project="{code}"]').count() == 1
    assert page.locator('[data-project="TZ-004"]').count() == 0
    assert page.locator('[data-project="TZ-001"] [data-fen]').inner_text() == "¥100,000,000.00"
    # our own count from the rows written: 省外, introduced in 2024, at least the threshold (exactly included)
    ours_100m = sum(1 for r in ROWS if r[0] != "TZ-004" and r[4] == "省外" and r[7].startswith("2024")
                    and int(r[5].replace(".", "")) >= 100_000_000_00)
    ours_1bn = sum(1 for r in ROWS if r[0] != "TZ-004" and r[4] == "省外" and r[7].startswith("2024")
                   and int(r[5].replace(".", "")) >= 1_000_000_000_00)
    assert (ours_100m, ours_1bn) == (2, 1)
    page.goto(server + "/projects")
    after = _figures(page)
    assert after["m17.out_of_province_projects_100m"] - before["m17.out_of_province_projects_100m"] == ours_100m
    assert after["m17.out_of_province_projects_1bn"] - before["m17.out_of_province_projects_1bn"] == ours_1bn
    counted = page.locator('[data-target="m17.out_of_province_projects_100m"] [data-code]')
    codes = counted.evaluate_all("els => els.map(e => e.dataset.code)")
    assert "TZ-001" in codes and "TZ-003" in codes and "TZ-002" not in codes and "TZ-005" not in codes
    assert_labelled(page)
    shot(page, "projects-list")
    # the export of a filter
    page.goto(server + "/projects?origin=out_of_province&chain=新能源电池")
    with page.expect_download() as dl:
        page.locator("[data-test=export]").click()
    rows = list(load_workbook(io.BytesIO(dl.value.path().read_bytes())).active.iter_rows(values_only=True))
    assert rows[0][0] == "项目编号" and rows[0][5:7] == ("县区代码", "县区名称") and rows[0][10] == "总投资（元）"
    exported = {r[0]: r for r in rows[1:]}
    assert "TZ-003" in exported and "TZ-001" not in exported
    assert Decimal(str(exported["TZ-003"][10])) == Decimal("1000000000.00") and exported["TZ-003"][4] == "省外"
    template = page.request.get(server + "/projects/template.xlsx")
    assert load_workbook(io.BytesIO(template.body())).active["A1"].value == "项目编号"


def test_create_judge_and_keep_a_project(server, page, new_page):
    _users(server, new_page)
    login(page, server, "t-touzi")
    page.goto(server + "/projects")
    page.locator("details.pj-add summary").first.click()
    page.fill("#new-code", "TZ-100")
    page.fill("#new-name", "重大产业项目")
    page.fill("#new-investor", "某集团有限公司")
    page.fill("#new-credit_code", CREDIT_CODE)
    page.select_option("#new-investor_origin", "out_of_province")
    page.select_option("#new-district", "530111")
    page.fill("#new-total_investment", "300000000.001")  # finer than a fen
    page.fill("#new-annual_investment", "100000000.00")
    page.select_option("#new-fits_park_leading_industry", "是")
    page.fill("#new-introduced_on", "2024-03-15")
    page.locator('input[name=measures][value="m16"]').check()
    assert_labelled(page)
    page.get_by_role("button", name="登记", exact=True).click()
    alert = page.locator("[role=alert]")
    assert "总投资（元）" in alert.inner_text()
    assert page.locator('[data-project="TZ-100"]').count() == 0
    assert page.locator("#new-name").input_value() == "重大产业项目"  # kept for correcting
    page.fill("#new-total_investment", "300000000.00")
    page.get_by_role("button", name="登记", exact=True).click()
    page.wait_for_url("**/projects/*?done=created")
    assert page.locator("[data-test=total_investment]").inner_text() == "¥300,000,000.00"
    url = page.url.split("?")[0]
    page.goto(url + "?as_of=2024-06-01")
    result = page.locator('[data-provision="m16.major_industrial_project_subsidy"]')
    assert result.get_attribute("data-result") in ("eligible", "referral")
    assert result.locator("blockquote").count() >= 1
    page.locator("[data-test=milestone-form]").locator("xpath=..").locator("summary").click()
    page.fill("#ms-title", "取得施工许可")
    page.fill("#ms-due", "2024-08-01")
    page.get_by_role("button", name="添加").first.click()
    page.wait_for_url("**?done=milestone")
    assert "取得施工许可" in page.locator("[data-test=milestones]").inner_text()
    page.locator("[data-test=plan-form]").locator("xpath=..").locator("summary").click()
    page.fill("#st-step", "协调用电接入")
    page.fill("#st-resp", "昆明供电局")
    page.locator("[data-test=plan-form] button").click()
    assert "协调用电接入" in page.locator("[data-test=plan]").inner_text()
    page.locator("[data-test=edit-form]").locator("xpath=..").locator("summary").click()
    page.select_option("#ed-stage", "started")
    page.locator("[data-test=edit-form] button").click()
    page.wait_for_url("**?done=updated")
    assert page.locator("h1 [data-stage]").get_attribute("data-stage") == "started"
    shot(page, "projects-detail")
    # another department reads it only; its POST gets the 403 page
    other = new_page()
    login(other, server, "rev-shangwu")
    other.goto(url)
    assert other.locator("[data-test=read-only]").is_visible()
    assert other.locator("[data-test=edit-form]").count() == 0
    csrf = other.locator("input[name=csrf_token]").first.input_value()
    refused = other.request.post(url + "/edit", form={"csrf_token": csrf, "code": "TZ-100", "name": "改名",
                                                      "investor": "x", "investor_origin": "in_province",
                                                      "total_investment": "1", "stage": "reserve"})
    assert refused.status == 403
    refused = other.request.post(url + "/milestones", form={"csrf_token": csrf, "title": "x"})
    assert refused.status == 403
    page.reload()
    assert "重大产业项目" in page.locator("h1").inner_text()
    page.goto(url + "?lang=en")
    assert "Milestones" in page.content()
    page.goto(url + "?lang=zh")


def test_a_four_zone_case_each_zone_its_own_status(server, page, new_page):
    _users(server, new_page)
    login(page, server, "t-touzi")
    page.goto(server + "/projects")
    page.locator("details.pj-add summary").first.click()
    page.fill("#new-code", "TZ-200")
    page.fill("#new-name", "联办项目")
    page.fill("#new-investor", "某公司")
    page.fill("#new-total_investment", "1000000")
    page.get_by_role("button", name="登记", exact=True).click()
    page.wait_for_url("**?done=created")
    url = page.url.split("?")[0]
    page.locator("[data-test=case-form]").locator("xpath=..").locator("summary").click()
    page.select_option("#cs-zone", "经开区")
    page.fill("#cs-matter", "用地与环评手续联办")
    page.locator("[data-test=case-form] button").click()
    page.wait_for_url("**?done=filed")
    case = page.locator("[data-case]").first
    case_id = case.get_attribute("data-case")
    assert case.locator("[data-zone]").count() == 4
    mohan = new_page()
    login(mohan, server, "t-mohan")
    mohan.goto(server + "/zones")
    mine = mohan.locator(f'[data-case="{case_id}"]')
    assert "用地与环评手续联办" in mine.inner_text()
    assert mine.locator('[data-zone="磨憨—磨丁合作区"] [data-zone-status]').get_attribute("data-zone-status") == "received"
    assert_labelled(mohan)
    mine.locator("select").select_option("processing")
    mine.locator("input[name=note]").fill("正在审查用地")
    mine.locator("button").click()
    mohan.wait_for_url("**/zones?done=status*")
    mine = mohan.locator(f'[data-case="{case_id}"]')
    statuses = {z: mine.locator(f'[data-zone="{z}"] [data-zone-status]').get_attribute("data-zone-status")
                for z in ("磨憨—磨丁合作区", "自贸试验区昆明片区", "经开区", "昆明综保区")}
    assert statuses == {"磨憨—磨丁合作区": "processing", "自贸试验区昆明片区": "received", "经开区": "received",
                        "昆明综保区": "received"}
    shot(mohan, "zones-mohan")
    jingkai = new_page()
    login(jingkai, server, "t-jingkai")
    jingkai.goto(server + "/zones")
    theirs = jingkai.locator(f'[data-case="{case_id}"]')
    assert theirs.locator("select").input_value() == "received"  # its own status, untouched
    csrf = jingkai.locator("input[name=csrf_token]").first.input_value()
    refused = jingkai.request.post(server + f"/zone-cases/{case_id}/status",
                                   form={"csrf_token": csrf, "zone": "磨憨—磨丁合作区", "status": "done"})
    assert refused.status == 403
    page.goto(url)
    row = page.locator(f'[data-case="{case_id}"] [data-zone="磨憨—磨丁合作区"]')
    assert row.locator("[data-zone-status]").get_attribute("data-zone-status") == "processing"
    assert "正在审查用地" in row.inner_text()


def test_project_pages_fit_a_phone(server, phone, new_page):
    _users(server, new_page)
    login(phone, server, "t-mohan")
    phone.goto(server + "/projects")
    assert_fits(phone)
    assert_labelled(phone)
    shot(phone, "phone-projects-list")
    href = phone.locator("[data-test=projects] a").first.get_attribute("href")
    phone.goto(server + href)
    assert_fits(phone)
    assert_labelled(phone)
    shot(phone, "phone-projects-detail")
    phone.goto(server + "/zones")
    assert_fits(phone)
    shot(phone, "phone-zones")
