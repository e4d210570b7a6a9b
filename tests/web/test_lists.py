"""The published lists for private capital (推介清单, m23) in a real browser: a department adds an
entry as a draft (not public), publishes it (public, with its date), withdraws it (gone); the public
filters and the Excel export; an Excel import with a bad row; another department is refused."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from huiqi import clock
from huiqi.catalogue import get_policy
from tests.web.conftest import PASSWORD, assert_fits, assert_labelled, login, shot

FGW = "fgw-lists"  # a 市发展改革委 user, made by the administrator through the API
TODAY = clock.today()  # the server's date: Beijing's, fixed by the suite (HUIQI_TODAY)


@pytest.fixture(scope="module")
def fgw(server, browser):
    context = browser.new_context()
    r = context.request.post(server + "/api/v1/auth/login", data={"username": "admin", "password": PASSWORD})
    assert r.status == 200, r.text()
    made = context.request.post(server + "/api/v1/users", headers={"X-CSRF-Token": r.json()["csrf_token"]},
                                data={"username": FGW, "password": PASSWORD, "role": "reviewer",
                                      "display_name": "市发展改革委清单员", "department": "市发展改革委"})
    assert made.status == 201, made.text()
    context.close()
    return FGW


def _csrf(page) -> str:
    return page.locator("input[name=csrf_token]").first.get_attribute("value")


def _add(page, server, kind: str, name: str, district: str = "", investment: str = "", published_on: str = "",
         sector: str = "", contact: str = "") -> int:
    page.goto(server + "/lists/manage")
    form = page.locator("[data-test=add]")
    form.get_by_label("清单类别").select_option(kind)
    form.get_by_label("项目名称").fill(name)
    form.get_by_label("行业领域").fill(sector)
    form.get_by_label("县区").select_option(district)
    form.get_by_label("总投资（元）").fill(investment)
    form.get_by_label("联系方式").fill(contact)
    if published_on:
        form.get_by_label("发布日期（可选）").fill(published_on)
    form.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url(re.compile(r"/lists/manage\?added=\d+"))
    return int(re.search(r"added=(\d+)", page.url).group(1))


def _public_names(page, server, query: str = "") -> list[str]:
    page.goto(server + "/lists" + query)
    return page.locator("[data-test=entries] [data-test=name]").all_inner_texts()


def test_the_policy_sentence_is_quoted_verbatim(server, page):
    page.goto(server + "/lists")
    quoted = page.locator("[data-test=basis]").inner_text()
    assert "拟向民间资本推介的国家重大工程和补短板项目" in quoted
    assert quoted in get_policy().measure("m23").text
    assert page.locator("[data-test=filter]").is_visible()
    assert_labelled(page)
    shot(page, "lists-public")


def test_a_draft_is_published_and_withdrawn(server, page, new_page, fgw):
    login(page, server, fgw)
    entry = _add(page, server, "chain", "滇池新能源电池配套项目", district="530112", investment="123456789.01",
                 sector="新能源电池", contact="0871-63100000")
    row = page.locator(f'[data-test=manage-entries] tr[data-entry="{entry}"]')
    assert row.get_attribute("data-status") == "draft"
    assert "¥123,456,789.01" in row.inner_text()
    assert_labelled(page)
    shot(page, "lists-manage")

    public = new_page()
    assert "滇池新能源电池配套项目" not in _public_names(public, server)  # a draft is not public

    row.locator("[data-test=publish]").click()
    page.wait_for_url(re.compile(r"published="))
    assert page.locator(f'tr[data-entry="{entry}"]').get_attribute("data-status") == "published"
    public.goto(server + "/lists")
    shown = public.locator("[data-test=entries] tr", has_text="滇池新能源电池配套项目")
    assert shown.count() == 1
    assert shown.locator("[data-test=published]").inner_text() == TODAY.isoformat()
    assert shown.locator("[data-test=investment]").inner_text() == "¥123,456,789.01"
    assert shown.locator("[data-test=district]").inner_text() == "西山区"
    assert "重点产业链供应链项目" in shown.inner_text() and "0871-63100000" in shown.inner_text()
    shot(public, "lists-public-published")

    page.locator(f'tr[data-entry="{entry}"] [data-test=withdraw]').click()
    page.wait_for_url(re.compile(r"withdrawn="))
    assert page.locator(f'tr[data-entry="{entry}"]').get_attribute("data-status") == "withdrawn"
    assert "滇池新能源电池配套项目" not in _public_names(public, server)


def test_a_bad_amount_is_refused_and_nothing_is_stored(server, page, fgw):
    login(page, server, fgw)
    page.goto(server + "/lists/manage")
    before = page.locator("[data-test=manage-entries] tbody tr").count()
    form = page.locator("[data-test=add]")
    form.get_by_label("项目名称").fill("金额有误的项目")
    form.get_by_label("总投资（元）").fill("12.345")
    form.get_by_role("button", name="保存", exact=True).click()
    alert = page.locator("[role=alert]")
    assert alert.get_attribute("data-field") == "investment" and "总投资（元）" in alert.inner_text()
    assert page.get_by_label("项目名称").input_value() == "金额有误的项目"  # kept for correcting
    page.goto(server + "/lists/manage")
    assert page.locator("[data-test=manage-entries] tbody tr").count() == before


def test_filters_and_the_excel_export(server, page, new_page, fgw):
    login(page, server, fgw)
    today = TODAY.isoformat()
    _add(page, server, "reits", "呈贡产业园REITs项目", district="530114", investment="900000000.10", published_on=today)
    _add(page, server, "major_works", "官渡地下管网更新工程", district="530111", investment="0.01", published_on=today,
         sector="市政")
    _add(page, server, "concession", "西山智慧停车特许经营", district="530112", investment="80000000", published_on=today)

    public = new_page()
    public.goto(server + "/lists")
    names = public.locator("[data-test=entries] [data-test=name]").all_inner_texts()
    assert {"呈贡产业园REITs项目", "官渡地下管网更新工程", "西山智慧停车特许经营"} <= set(names)

    public.locator('.ls-tabs a[data-kind="reits"]').click()  # the tab of the REITs list
    public.wait_for_url(re.compile(r"kind=reits"))
    kinds = public.locator("[data-test=entries] [data-test=kind]")
    assert kinds.count() >= 1 and set(k.get_attribute("data-kind") for k in kinds.all()) == {"reits"}
    assert "呈贡产业园REITs项目" in public.locator("[data-test=entries]").inner_text()

    public.goto(server + "/lists")
    public.get_by_label("县区").select_option("530111")
    public.get_by_role("button", name="筛选", exact=True).click()
    public.wait_for_url(re.compile(r"district=530111"))
    districts = public.locator("[data-test=entries] [data-test=district]")
    assert set(d.get_attribute("data-district") for d in districts.all()) == {"530111"}
    assert "官渡地下管网更新工程" in public.locator("[data-test=entries]").inner_text()
    assert "呈贡产业园REITs项目" not in public.locator("[data-test=entries]").inner_text()

    public.goto(server + "/lists")
    public.get_by_label("关键词（项目名称或行业）").fill("西山智慧停车")
    public.get_by_role("button", name="筛选", exact=True).click()
    public.wait_for_url(re.compile(r"q="))
    assert public.locator("[data-test=entries] [data-test=name]").all_inner_texts() == ["西山智慧停车特许经营"]
    shot(public, "lists-public-filtered")

    # the export follows the filter on the page
    for query in ("", "?kind=reits", "?district=530111"):
        public.goto(server + "/lists" + query)
        rows = public.locator("[data-test=entries] tbody tr")
        on_page = [(r.locator("[data-test=name]").inner_text(), r.locator("[data-test=investment]").inner_text())
                   for r in rows.all()]
        href = public.locator("[data-test=export]").get_attribute("href")
        got = public.request.get(server + href)
        assert got.status == 200 and "spreadsheetml" in got.headers["content-type"]
        ws = load_workbook(io.BytesIO(got.body())).active
        header = [c.value for c in ws[1]]
        assert header[:2] == ["清单类别", "项目名称"] and "发布日期" in header and "总投资（元）" in header
        col = {h: i for i, h in enumerate(header)}
        data = [r for r in ws.iter_rows(min_row=2, values_only=True)]
        assert [r[col["项目名称"]] for r in data] == [n for n, _ in on_page]
        for r, (_, shown) in zip(data, on_page):
            amount = Decimal(str(r[col["总投资（元）"]]))
            assert f"¥{amount:,.2f}" == shown  # exact to the fen
            published = r[col["发布日期"]]
            assert (published.date() if isinstance(published, dt.datetime) else published) <= TODAY
        if query == "":
            by_name = {r[col["项目名称"]]: r for r in data}
            assert Decimal(str(by_name["官渡地下管网更新工程"][col["总投资（元）"]])) == Decimal("0.01")
            assert Decimal(str(by_name["呈贡产业园REITs项目"][col["总投资（元）"]])) == Decimal("900000000.10")
            assert "¥" in ws.cell(2 + list(by_name).index("呈贡产业园REITs项目"), col["总投资（元）"] + 1).number_format
            assert by_name["呈贡产业园REITs项目"][col["清单类别"]] == "基础设施领域不动产投资信托基金（REITs）项目"


def test_import_with_a_bad_row_names_the_row(server, page, new_page, fgw):
    login(page, server, fgw)
    page.goto(server + "/lists/manage")
    template = page.request.get(server + page.locator("[data-test=template]").get_attribute("href"))
    assert template.status == 200
    header = [c.value for c in load_workbook(io.BytesIO(template.body())).active[1]]
    assert header == ["清单类别", "项目名称", "行业领域", "县区代码", "总投资（元）", "联系方式", "发布日期"]

    wb = Workbook()
    ws = wb.active
    ws.append(header)
    ws.append(["完全使用者付费的特许经营项目", "导入的污水处理特许经营项目", "水务", "530113", "56000000.50", "0871-1", TODAY.isoformat()])
    ws.append(["重点产业链供应链项目", "县区有误的项目", "制造", "999999", "100", None, None])
    ws.append(["国家重大工程和补短板项目", "导入的草稿项目", None, "530181", "2000000", None, None])
    buf = io.BytesIO()
    wb.save(buf)
    page.locator("[data-test=import]").get_by_label("Excel 文件").set_input_files(
        {"name": "清单.xlsx", "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "buffer": buf.getvalue()})
    page.locator("[data-test=import]").get_by_role("button", name="导入", exact=True).click()
    page.locator("[data-test=import-result]").wait_for()
    assert page.locator("[data-test=imported]").inner_text() == "已导入 2 行"
    bad = page.locator("[data-test=import-errors] tbody tr")
    assert bad.count() == 1 and bad.first.get_attribute("data-row") == "3"
    assert "县区" in bad.first.inner_text() and "999999" in bad.first.inner_text()
    shot(page, "lists-import")

    page.goto(server + "/lists/manage")
    text = page.locator("[data-test=manage-entries]").inner_text()
    assert "导入的污水处理特许经营项目" in text and "导入的草稿项目" in text and "县区有误的项目" not in text
    public = new_page()
    names = _public_names(public, server)
    assert "导入的污水处理特许经营项目" in names and "导入的草稿项目" not in names


def test_another_department_cannot_publish(server, page, new_page, fgw):
    login(page, server, fgw)
    entry = _add(page, server, "chain", "发改委草稿项目", investment="1000")
    other = new_page()
    login(other, server, "rev-gongxin")
    other.goto(server + "/lists/manage")
    assert "发改委草稿项目" not in other.locator("main").inner_text()  # only its own entries
    for action in ("publish", "withdraw"):
        r = other.request.post(f"{server}/lists/manage/{entry}/{action}", form={"csrf_token": _csrf(other)})
        assert r.status == 403 and "无权访问" in r.text()
    ent = new_page()
    login(ent, server, "ent-demo")
    r = ent.request.get(server + "/lists/manage", max_redirects=0)
    assert r.status == 403
    page.goto(server + "/lists/manage")
    assert page.locator(f'tr[data-entry="{entry}"]').get_attribute("data-status") == "draft"
    assert "发改委草稿项目" not in _public_names(other, server)


def test_english_and_phone(server, phone, fgw):
    phone.goto(server + "/lists?lang=en")
    assert phone.locator("html").get_attribute("lang") == "en"
    assert "Project lists for private capital" in phone.locator("h1").inner_text()
    assert_fits(phone)
    assert_labelled(phone)
    assert not re.search(r"\bls\.[a-z_.]+", phone.locator("main").inner_text())
    shot(phone, "phone-lists-en")
    phone.goto(server + "/lists?lang=zh")
    assert_fits(phone)
    shot(phone, "phone-lists")
    login(phone, server, fgw)
    phone.goto(server + "/lists/manage?lang=en")
    text = phone.locator("main").inner_text()
    assert "Add an entry" in text and not re.search(r"\bls\.[a-z_.]+", text)
    phone.goto(server + "/lists/manage?lang=zh")
    assert_fits(phone)
    assert_labelled(phone)
    shot(phone, "phone-lists-manage")
