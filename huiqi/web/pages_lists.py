"""Published lists (推介清单): the public page of the lists a measure requires to be published (the measure
whose file declares ``published_lists``, with its lists) with filters and an Excel export, and the
departments' page to add entries (one by one or from Excel), publish and withdraw them. A policy with no
such measure answers these addresses with the 404 page 「本政策未设此项服务」.

The public sees exactly what :func:`huiqi.delivery.lists.public` returns for today: published on or
before today and not withdrawn. A department (role ``reviewer``) manages the entries it keeps; an
administrator manages every entry. A refused form is shown again (HTTP 200) with a message naming
the field, and nothing is stored; a department acting on another department's entry gets a 403 page.
Each policy publishes its own lists: ``?policy=`` chooses it (the default policy when absent).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from huiqi import clock
from huiqi.delivery import DeliveryError, NotYours, features, importer, lists
from huiqi.storage.models_delivery import ListEntry
from huiqi.web import delivery_policy, files, i18n
from huiqi.web.delivery_policy import missing as absent  # the chosen policy's services
from huiqi.web.policy_view import article
from huiqi.web.auth import Forbidden, check_csrf, database, page_user, require
from huiqi.web.render import render

router = APIRouter(include_in_schema=False)

ROLES = ("reviewer", "admin")
MAX_UPLOAD = 5 * 1024 * 1024
FEATURE = "published_lists"
EXPORT_HEADERS = ["清单类别", "项目名称", "行业领域", "县区代码", "县区", "总投资（元）", "联系方式", "发布日期", "发布单位"]
FIELDS = ("kind", "name", "sector", "district", "investment", "contact", "published_on", "department")

i18n.add({
    "ls.title": ("推介清单", "Project lists for private capital"),
    "ls.intro": ("依据政策{article}，以下为{lists}清单，仅显示已发布且未撤回的项目。",
                 "Under {article}, these are the lists it requires ({lists}); only entries published and not withdrawn are shown."),
    "ls.basis": ("政策依据（{article}）", "Basis in the policy ({article}, Chinese original)"),
    "ls.tabs": ("清单类别", "Lists"),
    "ls.all": ("全部清单", "All lists"),
    "ls.filter": ("筛选", "Filter"),
    "ls.filter_submit": ("筛选", "Apply"),
    "ls.filter_reset": ("清除筛选", "Clear filters"),
    "ls.any_district": ("全部县区", "All districts"),
    "ls.any_kind": ("全部类别", "All kinds"),
    "ls.keyword": ("关键词（项目名称或行业）", "Keyword (name or sector)"),
    "ls.count": ("共 {n} 个项目", "{n} projects"),
    "ls.none": ("暂无符合条件的已发布项目", "No published project matches"),
    "ls.export": ("导出 Excel（当前筛选）", "Export to Excel (this filter)"),
    "ls.manage_link": ("管理本单位清单", "Manage your department's entries"),
    "ls.col.kind": ("清单类别", "List"),
    "ls.col.name": ("项目名称", "Project"),
    "ls.col.sector": ("行业领域", "Sector"),
    "ls.col.district": ("县区", "District"),
    "ls.col.investment": ("总投资", "Total investment"),
    "ls.col.contact": ("联系方式", "Contact"),
    "ls.col.published": ("发布日期", "Published on"),
    "ls.col.department": ("发布单位", "Department"),
    "ls.col.status": ("状态", "Status"),
    "ls.col.action": ("操作", "Action"),
    "ls.manage.title": ("推介清单管理", "Manage the project lists"),
    "ls.manage.intro": ("本单位录入的清单条目（含草稿）。草稿和未到发布日期的条目不对外公开；撤回后即从公开清单中移除。",
                        "Your department's entries, drafts included. Drafts and entries dated in the future are not public; "
                        "a withdrawn entry leaves the public list."),
    "ls.manage.all": ("全部单位的清单条目（管理员）", "Every department's entries (administrator)"),
    "ls.manage.entries": ("清单条目", "Entries"),
    "ls.manage.none": ("尚无清单条目", "No entries yet"),
    "ls.status.draft": ("草稿", "Draft"),
    "ls.status.scheduled": ("定于 {date} 发布", "To be published on {date}"),
    "ls.status.published": ("已发布", "Published"),
    "ls.status.withdrawn": ("已于 {date} 撤回", "Withdrawn on {date}"),
    "ls.publish": ("发布", "Publish"),
    "ls.publish_label": ("发布“{name}”", "Publish “{name}”"),
    "ls.withdraw": ("撤回", "Withdraw"),
    "ls.withdraw_label": ("撤回“{name}”", "Withdraw “{name}”"),
    "ls.republish": ("重新发布", "Publish again"),
    "ls.add": ("新增清单条目", "Add an entry"),
    "ls.add_submit": ("保存", "Save"),
    "ls.added": ("已保存“{name}”", "Saved “{name}”"),
    "ls.published_msg": ("已发布“{name}”", "Published “{name}”"),
    "ls.withdrawn_msg": ("已撤回“{name}”", "Withdrawn “{name}”"),
    "ls.f.kind": ("清单类别", "List"),
    "ls.f.name": ("项目名称", "Project name"),
    "ls.f.sector": ("行业领域", "Sector"),
    "ls.f.district": ("县区", "District"),
    "ls.f.investment": ("总投资（元）", "Total investment (yuan)"),
    "ls.f.investment_hint": ("以元为单位，最多两位小数", "in yuan, at most two decimals"),
    "ls.f.contact": ("联系方式", "Contact"),
    "ls.f.published_on": ("发布日期（可选）", "Publication date (optional)"),
    "ls.f.published_on_hint": ("留空则保存为草稿，稍后再发布", "leave empty to keep it as a draft and publish later"),
    "ls.f.department": ("发布单位", "Department"),
    "ls.f.entry_id": ("清单条目", "Entry"),
    "ls.f.file": ("Excel 文件", "Excel file"),
    "ls.f.form": ("表单", "Form"),
    "ls.f.header": ("表头", "Header"),
    "ls.f.status": ("状态", "Status"),
    "ls.no_district": ("（不限）", "(none)"),
    "ls.refused": ("未保存：{field}：{message}", "Not saved: {field}: {message}"),
    "ls.import": ("从 Excel 导入", "Import from Excel"),
    "ls.import_hint": ("第一行为表头（清单类别、项目名称、行业领域、县区代码、总投资（元）、联系方式、发布日期），每行一个项目；有误的行单独列出，其余行照常导入。",
                       "Row 1 is the header (清单类别, 项目名称, 行业领域, 县区代码, 总投资（元）, 联系方式, 发布日期), one project a row; "
                       "a bad row is listed and the other rows are imported."),
    "ls.import_submit": ("导入", "Import"),
    "ls.template": ("下载导入模板", "Download the template"),
    "ls.imported": ("已导入 {n} 行", "{n} rows imported"),
    "ls.import_errors": ("以下 {n} 行未导入：", "{n} rows were not imported:"),
    "ls.col.row": ("行号", "Row"),
    "ls.col.field": ("字段", "Field"),
    "ls.col.reason": ("原因", "Reason"),
    "ls.no_file": ("请选择 .xlsx 文件", "choose an .xlsx file"),
    "ls.too_big": ("文件超过 5 MB", "the file is larger than 5 MB"),
})


def _kinds(lang: str, policy=None) -> list[tuple[str, str]]:
    return [(k, en if lang == "en" else zh) for k, (zh, en) in lists.kinds(policy).items()]


def _districts() -> list[tuple[str, str]]:
    from huiqi.standards.divisions import districts

    return [(d.code, d.name_zh) for d in districts()]


def _district_name(code: str | None) -> str:
    if not code:
        return ""
    from huiqi.standards.divisions import lookup_district

    d = lookup_district(code)
    return d.name_zh if d else code


def _basis(lang: str, policy) -> dict[str, object]:
    """The measure requiring the lists: its sentences quoted on the page (its provision's citation, checked
    verbatim by the loader), and the intro and heading naming it."""
    measure, sentences = features.basis(FEATURE, policy)
    where = article(measure, lang)
    names = ("; " if lang == "en" else "、").join(name for _, name in _kinds(lang, policy))
    return {"sentences": sentences, "intro": i18n.translate("ls.intro", lang, article=where, lists=names),
            "heading": i18n.translate("ls.basis", lang, article=where)}


def _filters(kind: str, district: str, q: str, policy=None) -> dict[str, str]:
    kind = kind if kind in lists.kinds(policy) else ""
    district = district if district in dict(_districts()) else ""
    return {"kind": kind, "district": district, "q": q.strip()[:100]}


def _public_rows(request: Request, f: dict[str, str]) -> list[ListEntry]:
    """The chosen policy's public entries today (Beijing) under filter ``f``."""
    _, policy = delivery_policy.chosen(request)
    with database(request).transaction() as s:
        rows = lists.public(s, clock.today(), kind=f["kind"] or None, district=f["district"] or None,
                            q=f["q"] or None, policy=policy)
        for e in rows:
            s.expunge(e)
    return rows


@router.get("/lists")
def public_lists(request: Request, kind: str = "", district: str = "", q: str = "") -> Response:
    if (missing := absent(request, FEATURE)) is not None:
        return missing
    user = page_user(request)
    lang = i18n.lang_of(request)
    policy_id, policy = delivery_policy.chosen(request)
    f = _filters(kind, district, q, policy)
    rows = _public_rows(request, f)
    carried = {**f, "policy": policy_id or ""}
    query = urlencode({k: v for k, v in carried.items() if v})
    tab_links = [("", i18n.translate("ls.all", lang))] + _kinds(lang, policy)
    return render(request, "lists/public.html", rows=rows, f=f, kinds=dict(_kinds(lang, policy)), tab_links=tab_links,
                  districts=_districts(), district_name=_district_name, basis=_basis(lang, policy),
                  export_url="/lists.xlsx" + (f"?{query}" if query else ""),
                  tab_url=lambda k: "/lists?" + urlencode({k2: v for k2, v in {**carried, "kind": k}.items() if v}),
                  manager=user is not None and user.role in ROLES, **delivery_policy.view(policy_id, "/lists", FEATURE))


@router.get("/lists.xlsx")
def export_lists(request: Request, kind: str = "", district: str = "", q: str = "") -> Response:
    from huiqi import exports

    if (missing := absent(request, FEATURE)) is not None:
        return missing
    f = _filters(kind, district, q, delivery_policy.chosen(request)[1])
    rows = _public_rows(request, f)
    kinds = lists.kinds(delivery_policy.chosen(request)[1])
    data = exports.table("推介清单", EXPORT_HEADERS, (
        [kinds.get(e.kind, ("", ""))[0], e.name, e.sector, e.district, _district_name(e.district),
         exports.yuan(e.investment_fen), e.contact, e.published_on, e.department] for e in rows))
    return files.xlsx(data, f"推介清单-{clock.today().isoformat()}.xlsx", "lists.xlsx")


# -- department management -----------------------------------------------------------------------


def _status(e: ListEntry, today: dt.date) -> tuple[str, dt.date | None]:
    if e.withdrawn_on is not None and e.withdrawn_on <= today:
        return "withdrawn", e.withdrawn_on
    if e.published_on is None:
        return "draft", None
    if e.published_on > today:
        return "scheduled", e.published_on
    return "published", e.published_on


def _departments() -> list[str]:
    from huiqi.workflow.accounts import known_departments

    return known_departments()


def _manage_page(request: Request, user, form: dict[str, str] | None = None, error: tuple[str, str] | None = None,
                 done: tuple[str, str] | None = None, result: importer.ImportResult | None = None,
                 import_error: str | None = None) -> Response:
    lang = i18n.lang_of(request)
    today = clock.today()
    policy_id, policy = delivery_policy.chosen(request)
    with database(request).transaction() as s:
        stmt = select(ListEntry).where(ListEntry.policy_id == policy.header.id).order_by(ListEntry.id.desc())
        if user.role != "admin":
            stmt = stmt.where(ListEntry.department == user.department)
        entries = list(s.execute(stmt).scalars())
        for e in entries:
            s.expunge(e)
    rows = [(e, *_status(e, today)) for e in entries]
    return render(request, "lists/manage.html", rows=rows, kinds=dict(_kinds(lang, policy)), districts=_districts(),
                  district_name=_district_name, departments=_departments(), form=form or {}, error=error, done=done,
                  result=result, import_error=import_error, is_admin=user.role == "admin",
                  **delivery_policy.view(policy_id, "/lists/manage", FEATURE))


@router.get("/lists/manage")
def manage(request: Request, added: str = "", published: str = "", withdrawn: str = "") -> Response:
    if (missing := absent(request, FEATURE)) is not None:
        return missing
    user = require(request, ROLES)
    done = None
    for key, value in (("added", added), ("published", published), ("withdrawn", withdrawn)):
        if value.isdigit() and len(value) < 10:
            with database(request).transaction() as s:
                e = s.get(ListEntry, int(value))
                if e is not None:
                    done = (key, e.name)
    return _manage_page(request, user, done=done)


@router.post("/lists/manage/add")
async def add_entry(request: Request) -> Response:
    if (missing := absent(request, FEATURE)) is not None:
        return missing
    user = require(request, ROLES)
    raw = await request.form()
    check_csrf(request, raw)
    form = {k: str(raw.get(k, ""))[:300].strip() for k in FIELDS}
    if user.role != "admin":
        form["department"] = ""
    policy_id, policy = delivery_policy.chosen(request)
    try:
        with database(request).transaction() as s:
            entry = lists.add(s, s.merge(user), form, policy)
            entry_id = entry.id
    except DeliveryError as e:
        return _manage_page(request, user, form=form, error=(e.field if e.field in FIELDS else "form", e.message))
    except NotYours:
        raise Forbidden("list entry") from None
    return RedirectResponse(delivery_policy.with_policy(f"/lists/manage?added={entry_id}#entries", policy_id),
                            status_code=303)


async def _act(request: Request, entry_id: int, action) -> Response:
    if (missing := absent(request, FEATURE)) is not None:
        return missing
    user = require(request, ROLES)
    raw = await request.form()
    check_csrf(request, raw)
    try:
        with database(request).transaction() as s:
            action(s, s.merge(user), entry_id, clock.today())
    except NotYours:
        raise Forbidden("another department's entry") from None
    except DeliveryError as e:
        return _manage_page(request, user, error=(e.field if e.field in FIELDS + ("entry_id", "status") else "form", e.message))
    name = "published" if action is lists.publish else "withdrawn"
    return RedirectResponse(delivery_policy.with_policy(f"/lists/manage?{name}={entry_id}#entries",
                                                        delivery_policy.chosen(request)[0]), status_code=303)


@router.post("/lists/manage/{entry_id}/publish")
async def publish_entry(request: Request, entry_id: int) -> Response:
    return await _act(request, entry_id, lists.publish)


@router.post("/lists/manage/{entry_id}/withdraw")
async def withdraw_entry(request: Request, entry_id: int) -> Response:
    return await _act(request, entry_id, lists.withdraw)


@router.post("/lists/manage/import")
async def import_entries(request: Request) -> Response:
    if (missing := absent(request, FEATURE)) is not None:
        return missing
    user = require(request, ROLES)
    raw = await request.form()
    check_csrf(request, raw)
    lang = i18n.lang_of(request)
    _, data = await files.uploaded(raw, limit=MAX_UPLOAD + 1)
    if not data:
        return _manage_page(request, user, import_error=i18n.translate("ls.no_file", lang))
    if len(data) > MAX_UPLOAD:
        return _manage_page(request, user, import_error=i18n.translate("ls.too_big", lang))

    def work():
        if (refused := importer.refusal(data)) is not None:  # checked before the database is opened
            return refused
        with database(request).transaction() as s:
            return importer.import_list_entries(s, s.merge(user), data, delivery_policy.chosen(request)[1])

    result = await run_in_threadpool(work)  # reading a workbook must not hold up every other request
    if result.refused:  # the file crossed a limit (huiqi.xlsx_guard): nothing was read
        page = _manage_page(request, user, import_error=result.errors[0].reason)
        page.status_code = 413
        return page
    return _manage_page(request, user, result=result)


@router.get("/lists/template.xlsx")
def list_template(request: Request) -> Response:
    if (missing := absent(request, FEATURE)) is not None:
        return missing
    require(request, ROLES)
    return files.xlsx(importer.template("lists", delivery_policy.chosen(request)[1]), "推介清单导入模板.xlsx",
                      "list-template.xlsx")
