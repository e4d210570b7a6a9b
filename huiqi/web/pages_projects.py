"""The project registry (项目库) behind the investment measures (those whose files declare
``project_registry``), and the zones' joint cases (the measure declaring ``four_zones``).

``/projects``: the registry with filters, the target figures computed from it (targets with
``computed_from``; never typed in), a create form, Excel import (each bad row named by its row number,
the good rows kept) and export. ``/projects/{id}``: the project, the engine's judgement of the subsidies
the registry's measures grant to a project, its milestones and 一企一案 plan, an edit form for the keeping
department, and its joint zone cases. ``/zones``: a zone committee's cases, each with its own status and
an update form. A department that does not keep a project sees it read-only; its POSTs get the 403 page.
A policy without the feature answers its addresses with the 404 page 「本政策未设此项服务」. Each policy keeps its
own registry and zones: ``?policy=`` chooses it (the default policy when absent); a project's page is in its
own policy, and the links carry the policy on.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from huiqi import clock, policies
from huiqi.delivery import DeliveryError, NotYours, features, importer, may_edit, projects, targets, zones
from huiqi.storage.models_delivery import Project, ProjectMilestone, ProjectPlanStep, ZoneCase
from huiqi.web import delivery_policy, files, i18n
from huiqi.web.auth import Forbidden, check_csrf, database, require
from huiqi.web.pages_commitments import bilingual, local
from huiqi.web.delivery_policy import missing as absent  # the chosen policy's services
from huiqi.web.policy_view import articles
from huiqi.web.render import render

router = APIRouter(include_in_schema=False)

ROLES = ("reviewer", "admin")
FORM_FIELDS = ("code", "name", "investor", "credit_code", "investor_origin", "district", "park", "zone", "chain",
               "total_investment", "annual_investment", "annual_fixed_asset", "equipment", "stage", "introduced_on",
               "service_officer", "fits_park_leading_industry", "park_development_mode", "department")
CHECKS = ("packaged", "technical_renovation", "in_mohan_border_park")
TRISTATE = ("fits_park_leading_industry", "park_development_mode")
PLAN_STATUSES = ("todo", "doing", "done")
FEATURE = "project_registry"

i18n.add({
    "pj.title": ("项目库", "Project registry"),
    "pj.intro": ("投资类措施（{articles}）的项目台账。目标完成情况由项目库自动统计，不手工填报。",
                 "The registry behind the investment measures ({articles}). Target figures are counted from it, never typed in."),
    "pj.targets": ("目标完成情况（由项目库计算）", "Targets (computed from the registry)"),
    "pj.goal": ("目标", "Goal"),
    "pj.actual": ("已完成", "Achieved"),
    "pj.met": ("已达到", "Met"),
    "pj.not_met": ("未达到", "Not met"),
    "pj.counted": ("计入的项目（{n}）", "Projects counted ({n})"),
    "pj.named": ("点名项目", "Named projects"),
    "pj.not_in_registry": ("未录入项目库", "not in the registry"),
    "pj.started": ("已开工", "started"),
    "pj.filter": ("筛选", "Filter"),
    "pj.all": ("全部", "All"),
    "pj.apply": ("查看", "Show"),
    "pj.export": ("导出 Excel（当前筛选）", "Export to Excel (this filter)"),
    "pj.count": ("共 {n} 个项目", "{n} projects"),
    "pj.none": ("没有符合条件的项目", "No project matches"),
    "pj.open": ("查看", "Open"),
    "pj.create": ("登记新项目", "Add a project"),
    "pj.create_submit": ("登记", "Add"),
    "pj.create_open": ("填写项目信息", "Fill in the project"),
    "pj.created": ("已登记项目", "Project added"),
    "pj.updated": ("已保存修改", "Changes saved"),
    "pj.import": ("批量导入项目（Excel）", "Import projects from Excel"),
    "pj.import_hint": ("每行一个项目；项目编号已存在的更新（仅限本单位登记的项目）。有误的行单独列出，其余照常导入。金额单位为元，最多两位小数。",
                       "One project per row; an existing number is updated (only your department's). A bad row is listed on its own and the others are imported. Amounts in yuan, at most two decimals."),
    "pj.import_file": ("项目表（.xlsx）", "Project workbook (.xlsx)"),
    "pj.import_submit": ("导入", "Import"),
    "pj.template": ("下载导入模板", "Download the template"),
    "pj.imported": ("已导入 {n} 个项目", "{n} projects imported"),
    "pj.import_errors": ("以下 {n} 行未导入：", "{n} rows were not imported:"),
    "pj.pages": ("第 {page}/{pages} 页", "page {page} of {pages}"),
    "pj.prev": ("上一页", "Previous"),
    "pj.next": ("下一页", "Next"),
    "pj.no_file": ("请选择要导入的 Excel 文件", "Choose an Excel file to import"),
    "pj.row": ("行号", "Row"),
    "pj.field": ("字段", "Field"),
    "pj.reason": ("原因", "Reason"),
    "pj.err": ("{field}：{message}", "{field}: {message}"),
    "pj.yuan_hint": ("元，最多两位小数", "yuan, at most two decimals"),
    "pj.unset": ("未填", "not stated"),
    "pj.yes": ("是", "yes"),
    "pj.no": ("否", "no"),
    "pj.f.code": ("项目编号", "Project number"),
    "pj.f.name": ("项目名称", "Project name"),
    "pj.f.investor": ("投资方", "Investor"),
    "pj.f.credit_code": ("项目公司统一社会信用代码", "Project company's credit code"),
    "pj.f.investor_origin": ("投资方来源", "Investor from"),
    "pj.f.district": ("县区", "District"),
    "pj.f.park": ("园区", "Park"),
    "pj.f.zone": ("四区", "Zone (四区)"),
    "pj.f.chain": ("产业链", "Industrial chain"),
    "pj.f.total_investment": ("总投资（元）", "Total investment (yuan)"),
    "pj.f.annual_investment": ("年度投资（元）", "Investment this year (yuan)"),
    "pj.f.annual_fixed_asset": ("年度工业固定资产投资（不含土地款，元）", "Industrial fixed-asset investment this year, excl. land (yuan)"),
    "pj.f.equipment": ("设备购置（元）", "Equipment (yuan)"),
    "pj.f.stage": ("项目阶段", "Stage"),
    "pj.f.introduced_on": ("引进日期", "Introduced on"),
    "pj.f.packaged": ("策划包装的招商项目", "Packaged for investment promotion"),
    "pj.f.fits_park_leading_industry": ("符合园区主导产业", "Fits the park's leading industry"),
    "pj.f.technical_renovation": ("技改项目", "Technical renovation"),
    "pj.f.park_development_mode": ("园中园开发模式", "Park-in-park development"),
    "pj.f.in_mohan_border_park": ("位于磨憨沿边产业园", "In the Mohan border industrial park"),
    "pj.f.measures": ("涉及措施", "Measures concerned"),
    "pj.f.service_officer": ("服务专员（一带一）", "Service officer"),
    "pj.f.department": ("登记单位", "Keeping department"),
    "pj.f.project_id": ("项目", "Project"),
    "pj.f.title": ("节点名称", "Milestone"),
    "pj.f.due": ("计划日期", "Planned date"),
    "pj.f.done_on": ("完成日期", "Done on"),
    "pj.f.step": ("服务事项", "Step"),
    "pj.f.responsible": ("责任单位", "Responsible"),
    "pj.f.status": ("状态", "Status"),
    "pj.f.matter": ("申请事项", "Matter"),
    "pj.f.case_id": ("联办事项", "Case"),
    "pj.f.note": ("办理意见", "Note"),
    "pj.f.file": ("文件", "File"),
    "pj.f.header": ("表头", "Header"),
    "pj.stage.reserve": ("储备", "Reserve"),
    "pj.stage.preparation": ("前期", "Preparation"),
    "pj.stage.started": ("开工", "Started"),
    "pj.stage.operating": ("投产", "Operating"),
    "pj.origin.in_province": ("省内", "In Yunnan"),
    "pj.origin.out_of_province": ("省外", "Other provinces"),
    "pj.origin.foreign": ("境外", "Abroad"),
    "pj.back": ("返回项目库", "Back to the registry"),
    "pj.not_found": ("未找到第 {id} 号项目", "Project {id} not found"),
    "pj.facts": ("项目信息", "The project"),
    "pj.read_only": ("本项目由{dept}登记维护，您可查看，不能修改。", "{dept} keeps this project; you can read it but not change it."),
    "pj.evaluation": ("政策计算器研判（{articles}补助）", "The engine's judgement ({articles} subsidies)"),
    "pj.as_of": ("研判日期", "Judged as of"),
    "pj.as_of_submit": ("重新研判", "Judge again"),
    "pj.no_credit_code": ("须填写项目公司统一社会信用代码才能研判", "The project company's credit code is needed for a judgement"),
    "pj.no_results": ("本项目不涉及{articles}补助", "No subsidy of {articles} concerns this project"),
    "pj.res.eligible": ("符合条件", "Eligible"),
    "pj.res.not_eligible": ("不符合条件", "Not eligible"),
    "pj.res.referral": ("需进一步核实", "To check"),
    "pj.res.expired": ("已过执行期限", "Expired"),
    "pj.amount": ("测算金额", "Amount"),
    "pj.cap_mark": ("最高", "up to"),
    "pj.citation": ("原文依据", "The sentence that grants it"),
    "pj.milestones": ("项目节点", "Milestones"),
    "pj.no_milestones": ("暂无节点", "No milestones yet"),
    "pj.add_milestone": ("添加节点", "Add a milestone"),
    "pj.plan": ("一企一案服务方案", "Service plan (一企一案)"),
    "pj.no_plan": ("暂无服务事项", "No steps yet"),
    "pj.add_step": ("添加服务事项", "Add a step"),
    "pj.plan.todo": ("待办", "To do"),
    "pj.plan.doing": ("办理中", "Doing"),
    "pj.plan.done": ("已完成", "Done"),
    "pj.edit": ("修改项目信息", "Edit the project"),
    "pj.save": ("保存", "Save"),
    "pj.add": ("添加", "Add"),
    "pj.cases": ("一区申请、四区联办", "Filed once, handled by the four zones"),
    "pj.no_cases": ("暂无联办事项", "No joint cases"),
    "pj.file_case": ("提交联办申请", "File a joint case"),
    "pj.filed_zone": ("受理区", "Filed at"),
    "pj.file_submit": ("提交", "File"),
    "pj.filed": ("已提交，四区同步接收", "Filed; all four zones have received it"),
    "pj.case": ("联办事项 #{id}", "Case #{id}"),
    "pj.case_meta": ("{zone}受理 · {by} · {at}", "filed at {zone} · {by} · {at}"),
    "pj.overall": ("总体", "Overall"),
    "pj.zone": ("区", "Zone"),
    "pj.zone_status": ("本区状态", "This zone's status"),
    "pj.status_for": ("{zone}状态", "Status at {zone}"),
    "pj.note_for": ("{zone}办理意见", "Note at {zone}"),
    "pj.update": ("更新", "Update"),
    "pj.status_updated": ("已更新本区办理状态", "Status updated"),
    "pj.by": ("经办", "By"),
    "pj.zst.received": ("已接收", "Received"),
    "pj.zst.processing": ("办理中", "Processing"),
    "pj.zst.done": ("已办结", "Done"),
    "pj.zst.not_applicable": ("无需本区办理", "Not for this zone"),
    "pj.zones_title": ("四区联办", "Four-zone cases"),
    "pj.zones_intro": ("项目在任一区提交申请，四区同步接收、各自办理。", "A case filed at any zone is received by all four, each handling its own part."),
    "pj.zones_you": ("本区：{zone}", "Your zone: {zone}"),
    "pj.zones_not_zone": ("您不是四区管委会用户，只能查看。", "You are not a zone committee user; read only."),
    "pj.zones_act_as": ("以哪个区办理（管理员）", "Act for zone (administrator)"),
    "pj.project": ("项目", "Project"),
    "pj.matter": ("申请事项", "Matter"),
})


def today() -> dt.date:
    """Beijing's date (:mod:`huiqi.clock`)."""
    return clock.today()


def _field(field: str, lang: str) -> str:
    key = f"pj.f.{field}"
    return i18n.translate(key, lang) if key in i18n.MESSAGES else field


def _error(e: DeliveryError, lang: str) -> str:
    return i18n.translate("pj.err", lang, field=_field(e.field, lang), message=bilingual(e.message, lang))


def _departments(policy) -> list[str]:
    out: list[str] = []
    for m in policy.measures:
        for d in m.lead_departments:
            if d.name not in out:
                out.append(d.name)
    return out + [d for d in zones.zone_departments(policy).values() if d not in out]


def _subsidy_measures(policy):
    """The registry's measures that grant something to a project (provisions judged on a project event)."""
    return [m for m in features.measures_with("project_registry", policy)
            if any(p.subject == "projects" for p in m.provisions)]


def _choices(lang: str, policy_id: str | None, path: str) -> dict[str, Any]:
    """What the registry's templates offer, for policy ``policy_id`` (None: the default), with the values that
    carry the policy on (:func:`huiqi.web.delivery_policy.view`; ``path`` is the page's own address)."""
    from huiqi.standards.divisions import districts

    ctx = delivery_policy.view(policy_id, path, FEATURE)
    policy = ctx["policy"]
    return {"stages": projects.STAGES, "origins": projects.ORIGINS, "zone_names": projects.zone_names(policy),
            "districts": [(d.code, d.name_zh) for d in districts()],
            "project_measures": projects.project_measures(policy),
            "checks": CHECKS, "tristate": TRISTATE, "all_departments": _departments(policy),
            "has_zones": features.has("four_zones", policy),
            "registry_articles": articles(features.measures_with("project_registry", policy), lang),
            "subsidy_articles": articles(_subsidy_measures(policy), lang), **ctx}


def _form_data(form) -> dict[str, Any]:
    """The project fields from a submitted form, as :func:`projects.clean` reads them."""
    data: dict[str, Any] = {f: str(form.get(f, ""))[:300] for f in FORM_FIELDS if f in form}
    for f in CHECKS:
        data[f] = "是" if form.get(f) else "否"
    data["measures"] = [str(m)[:8] for m in form.getlist("measures")]
    return data


def _filters(request: Request) -> dict[str, str]:
    """The filter of the address, with the chosen policy (``policy``: its id, empty for the default)."""
    policy_id, policy = delivery_policy.chosen(request)
    q = request.query_params
    f = {k: q.get(k, "")[:60] for k in ("stage", "origin", "zone", "chain", "measure")}
    if f["stage"] not in projects.STAGES:
        f["stage"] = ""
    if f["origin"] not in projects.ORIGINS:
        f["origin"] = ""
    if f["zone"] not in projects.zone_names(policy):
        f["zone"] = ""
    if f["measure"] not in projects.project_measures(policy):
        f["measure"] = ""
    if policy_id:
        f["policy"] = policy_id
    return f


def _policy_key(f: dict[str, str]) -> str:
    return policies.load(f.get("policy") or None).header.id


def _listing(s, f: dict[str, str]) -> list[Project]:
    """The projects of the filter's policy that pass the filter."""
    q = select(Project).where(Project.policy_id == _policy_key(f)).order_by(Project.code)
    if f["stage"]:
        q = q.where(Project.stage == f["stage"])
    if f["origin"]:
        q = q.where(Project.investor_origin == f["origin"])
    if f["zone"]:
        q = q.where(Project.zone == f["zone"])
    if f["chain"]:
        q = q.where(Project.chain == f["chain"])
    rows = list(s.execute(q).scalars())
    if f["measure"]:
        rows = [p for p in rows if f["measure"] in json.loads(p.measures or "[]")]
    return rows


def _row(p: Project) -> dict[str, Any]:
    return {"id": p.id, "code": p.code, "name": p.name, "investor": p.investor, "origin": p.investor_origin,
            "district": p.district, "park": p.park, "zone": p.zone, "chain": p.chain, "total": p.total_investment_fen,
            "stage": p.stage, "introduced_on": p.introduced_on, "department": p.department,
            "measures": json.loads(p.measures or "[]"),
            **{f"{f}_fen": getattr(p, f"{f}_fen") for f in projects.MONEY_FIELDS}}


PAGE_SIZE = 50  # a replayed year registers ~150 projects: one long table would bury the forms below it


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < len(raw) <= 6 and int(raw) >= 1 else 1


def _list_page(request: Request, user, *, error: str | None = None, form: dict | None = None,
               import_result=None, import_error: str | None = None, message: str | None = None) -> Response:
    f = _filters(request)
    lang = i18n.lang_of(request)
    choices = _choices(lang, f.get("policy"), "/projects")
    with database(request).transaction() as s:
        listed = _listing(s, f)
        total, page, pages = len(listed), _page_number(request), max(1, -(-len(listed) // PAGE_SIZE))
        page = page if page <= pages else 1  # out of range or absurd: the first page
        rows = [_row(p) for p in listed[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]]
        chains = sorted({c for c in s.execute(select(Project.chain).where(Project.policy_id == _policy_key(f)))
                         .scalars() if c})
        figures = targets.computed(s, choices["policy"])
    errors = []
    if import_result is not None:
        errors = [{"row": e.row, "field": _field(e.field, lang), "reason": bilingual(e.reason, lang)}
                  for e in import_result.errors]
    return render(request, "projects/list.html", rows=rows, f=f, chains=chains, figures=figures,
                  total=total, page=page, pages=pages, query=urlencode(f), error=error, form=form or {}, import_result=import_result,
                  import_errors=errors, import_error=import_error, message=message, **choices)


@router.get("/projects")
def registry(request: Request) -> Response:
    if (missing := absent(request, FEATURE)) is not None:
        return missing
    user = require(request, ROLES)
    return _list_page(request, user)


@router.post("/projects")
async def create(request: Request) -> Response:
    if (missing := absent(request, FEATURE)) is not None:
        return missing
    user = require(request, ROLES)
    form = await request.form()
    check_csrf(request, form)
    data = _form_data(form)
    policy_id, policy = delivery_policy.chosen(request)
    try:
        with database(request).transaction() as s:
            p = projects.create(s, s.merge(user), data, policy)
            pid = p.id
    except NotYours:
        raise Forbidden("only departments keep projects") from None
    except DeliveryError as e:
        return _list_page(request, user, error=_error(e, i18n.lang_of(request)), form=data)
    return RedirectResponse(delivery_policy.with_policy(f"/projects/{pid}?done=created", policy_id), status_code=303)


@router.get("/projects.xlsx")
def export(request: Request) -> Response:
    """The filter's projects in the import template's layout (so an export can be edited and imported back), with
    the district's name and the keeping department beside them: ¥ numbers, dates, 是/否 (:mod:`huiqi.exports`)."""
    from huiqi.delivery import templates
    from huiqi.standards.divisions import lookup_district

    if (missing := absent(request, FEATURE)) is not None:
        return missing
    require(request, ROLES)
    f = _filters(request)
    columns = list(importer.PROJECT_COLUMNS.values())
    after_district = columns.index("district") + 1
    with database(request).transaction() as s:
        rows = []
        for p in _listing(s, f):
            row = templates.project_row(p)
            district = lookup_district(p.district) if p.district else None
            row.insert(after_district, district.name_zh if district else None)
            rows.append(row + [p.department])
    data = templates.workbook("projects", policies.load(f.get("policy") or None), rows, example=False,
                              extra={"县区名称": after_district, "登记单位": len(columns) + 1})
    return files.xlsx(data, f"项目库-{today().isoformat()}.xlsx", "projects.xlsx")


@router.get("/projects/template.xlsx")
def template(request: Request) -> Response:
    if (missing := absent(request, FEATURE)) is not None:
        return missing
    require(request, ROLES)
    policy = delivery_policy.chosen(request)[1]
    return files.xlsx(importer.template("projects", policy), "项目库导入模板.xlsx", "project-import.xlsx")


@router.post("/projects/import")
async def import_projects(request: Request) -> Response:
    if (missing := absent(request, FEATURE)) is not None:
        return missing
    user = require(request, ROLES)
    form = await request.form()
    check_csrf(request, form)
    _, data = await files.uploaded(form)
    if not data:
        return _list_page(request, user, import_error=i18n.translate("pj.no_file", i18n.lang_of(request)))

    def work():
        if (refused := importer.refusal(data)) is not None:  # checked before the database is opened
            return refused
        with database(request).transaction() as s:
            return importer.import_projects(s, s.merge(user), data, delivery_policy.chosen(request)[1])

    result = await run_in_threadpool(work)  # reading a workbook must not hold up every other request
    if result.refused:  # the file crossed a limit (huiqi.xlsx_guard): nothing was read
        page = _list_page(request, user, import_error=result.errors[0].reason)
        page.status_code = 413
        return page
    return _list_page(request, user, import_result=result)


# -- one project -----------------------------------------------------------------------------------


def _as_of(request: Request) -> dt.date:
    raw = request.query_params.get("as_of", "")[:10]
    try:
        return dt.date.fromisoformat(raw) if raw else today()
    except ValueError:
        return today()


def _cases(s, project_ids: list[int] | None, policy) -> list[dict[str, Any]]:
    """The joint cases of the projects given (None: every project of ``policy``), zone by zone."""
    q = select(ZoneCase).order_by(ZoneCase.id.desc())
    if project_ids is not None:
        q = q.where(ZoneCase.project_id.in_(project_ids))
    else:
        q = q.join(Project, Project.id == ZoneCase.project_id).where(Project.policy_id == policy.header.id)
    out = []
    for c in s.execute(q).scalars():
        st = zones.statuses(s, c.id)
        p = s.get(Project, c.project_id)
        out.append({"id": c.id, "project_id": c.project_id, "project_code": p.code if p else "", "project_name": p.name if p else "",
                    "filed_zone": c.filed_zone, "matter": c.matter, "filed_by": c.filed_by, "filed_at": local(c.filed_at),
                    "overall": zones.overall(st),
                    "zones": [{"zone": z, "status": st[z].status if z in st else "received",
                               "note": st[z].note if z in st else None, "by": st[z].updated_by if z in st else None,
                               "at": local(st[z].updated_at) if z in st else ""} for z in projects.zone_names(policy)]})
    return out


def _detail(request: Request, user, project_id: int, *, error: str | None = None, error_at: str = "",
            form: dict | None = None, message: str | None = None) -> Response:
    lang = i18n.lang_of(request)
    as_of = _as_of(request)
    with database(request).transaction() as s:
        p = s.get(Project, project_id) if 1 <= project_id <= 2**31 - 1 else None
        if p is None:
            return render(request, "error.html", status_code=404, message=i18n.translate("pj.not_found", lang, id=project_id))
        values = projects.as_dict(p)
        policy = projects.policy_of(p)
        results = []
        for r in projects.evaluate_project(p, as_of):
            results.append({"provision_id": r.provision_id, "title_zh": r.title_zh, "title_en": r.title_en,
                            "status": r.status, "amount_fen": r.amount_fen, "is_cap": r.is_cap,
                            "explanation_zh": r.explanation_zh, "explanation_en": r.explanation_en,
                            "citation": list(r.citation)})
        milestones = list(s.execute(select(ProjectMilestone).where(ProjectMilestone.project_id == p.id)
                                    .order_by(ProjectMilestone.due, ProjectMilestone.id)).scalars())
        steps = list(s.execute(select(ProjectPlanStep).where(ProjectPlanStep.project_id == p.id)
                               .order_by(ProjectPlanStep.seq)).scalars())
        milestones = [{"title": m.title, "due": m.due, "done_on": m.done_on} for m in milestones]
        steps = [{"seq": x.seq, "step": x.step, "responsible": x.responsible, "status": x.status} for x in steps]
        cases = _cases(s, [p.id], policy)
        view = _row(p)
        credit_code = p.credit_code
    editable = may_edit(user, [view["department"]])
    my_zone = zones.zone_of(user, policy)
    return render(request, "projects/detail.html", p=view, values=values, results=results, as_of=as_of,
                  credit_code=credit_code, milestones=milestones, steps=steps, cases=cases, editable=editable,
                  may_file=editable or my_zone is not None, my_zone=my_zone,
                  zone_statuses=zones.ZONE_STATUSES, plan_statuses=PLAN_STATUSES, error=error, error_at=error_at,
                  form=form or {}, message=message,
                  **_choices(lang, policy.header.id, f"/projects/{view['id']}"))


DONE = {"created": "pj.created", "updated": "pj.updated", "filed": "pj.filed", "status": "pj.status_updated",
        "milestone": "pj.updated", "step": "pj.updated"}


@router.get("/projects/{project_id}")
def detail(request: Request, project_id: int, done: str | None = None) -> Response:
    if (missing := absent(request, FEATURE)) is not None:
        return missing
    user = require(request, ROLES)
    message = i18n.translate(DONE[done], i18n.lang_of(request)) if done in DONE else None
    return _detail(request, user, project_id, message=message)


def _keeper_check(request: Request, user, project_id: int) -> bool:
    """True when the project exists; the 403 page when it is another department's."""
    with database(request).transaction() as s:
        p = s.get(Project, project_id) if 1 <= project_id <= 2**31 - 1 else None
        if p is None:
            return False
        if not may_edit(user, [p.department]):
            raise Forbidden(f"{user.username} may not change project {project_id}")
    return True


def _not_found(request: Request, project_id: int) -> Response:
    return render(request, "error.html", status_code=404,
                  message=i18n.translate("pj.not_found", i18n.lang_of(request), id=project_id))


@router.post("/projects/{project_id}/{action}")
async def act(request: Request, project_id: int, action: str) -> Response:
    if (missing := absent(request, FEATURE)) is not None:
        return missing
    user = require(request, ROLES)
    form = await request.form()
    check_csrf(request, form)
    with database(request).transaction() as s:
        p = s.get(Project, project_id) if 1 <= project_id <= 2**31 - 1 else None
        policy = projects.policy_of(p) if p is not None else None
    if action not in ("edit", "milestones", "plan", "cases") or (
            action == "cases" and not (policy and features.has("four_zones", policy))):
        return _not_found(request, project_id)
    if action == "cases":
        with database(request).transaction() as s:
            p = s.get(Project, project_id) if 1 <= project_id <= 2**31 - 1 else None
            if p is None:
                return _not_found(request, project_id)
            if not (may_edit(user, [p.department]) or zones.zone_of(user, policy) is not None):
                raise Forbidden(f"{user.username} may not file for project {project_id}")
    elif not _keeper_check(request, user, project_id):
        return _not_found(request, project_id)
    values = {k: str(v)[:5000] for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    try:
        with database(request).transaction() as s:
            me = s.merge(user)
            if action == "edit":
                projects.update(s, me, project_id, _form_data(form))
                done = "updated"
            elif action == "milestones":
                projects.add_milestone(s, me, project_id, values.get("title", ""), values.get("due") or None,
                                       values.get("done_on") or None)
                done = "milestone"
            elif action == "plan":
                projects.add_plan_step(s, me, project_id, values.get("step", ""), values.get("responsible"),
                                       values.get("status", "todo"))
                done = "step"
            else:
                zones.file(s, me, project_id, values.get("zone", ""), values.get("matter", ""))
                done = "filed"
    except NotYours:
        raise Forbidden(f"{user.username} may not change project {project_id}") from None
    except DeliveryError as e:
        return _detail(request, user, project_id, error=_error(e, i18n.lang_of(request)), error_at=action,
                       form=_form_data(form) if action == "edit" else values)
    return RedirectResponse(delivery_policy.with_policy(f"/projects/{project_id}?done={done}", policy.header.id),
                            status_code=303)


# -- the four zones --------------------------------------------------------------------------------


def _acting_zone(request: Request, user, policy) -> str | None:
    mine = zones.zone_of(user, policy)
    if mine:
        return mine
    asked = request.query_params.get("zone", "")
    return asked if user.role == "admin" and asked in projects.zone_names(policy) else None


@router.get("/zones")
def zone_cases(request: Request, done: str | None = None) -> Response:
    if (missing := absent(request, "four_zones")) is not None:
        return missing
    user = require(request, ROLES)
    policy_id, policy = delivery_policy.chosen(request)
    with database(request).transaction() as s:
        cases = _cases(s, None, policy)
    message = i18n.translate("pj.status_updated", i18n.lang_of(request)) if done == "status" else None
    return render(request, "projects/zones.html", cases=cases, my_zone=_acting_zone(request, user, policy),
                  zone_statuses=zones.ZONE_STATUSES, zone_names=projects.zone_names(policy), message=message, error=None,
                  error_case=None, form={}, **delivery_policy.view(policy_id, "/zones", "four_zones"))


@router.post("/zone-cases/{case_id}/status")
async def zone_status(request: Request, case_id: int) -> Response:
    if (missing := absent(request, "four_zones")) is not None:
        return missing
    user = require(request, ROLES)
    form = await request.form()
    check_csrf(request, form)
    zone = str(form.get("zone", ""))[:40]
    policy_id, policy = delivery_policy.chosen(request)
    with database(request).transaction() as s:  # the case's own policy, whatever the address says
        case = s.get(ZoneCase, case_id) if 1 <= case_id <= 2**31 - 1 else None
        project = s.get(Project, case.project_id) if case is not None else None
        if project is not None:
            policy_id, policy = project.policy_id, projects.policy_of(project)
    if user.role != "admin" and zones.zone_of(user, policy) != zone:
        raise Forbidden(f"{user.username} does not work for {zone}")
    back = str(form.get("back", ""))
    status, note = str(form.get("status", ""))[:20], str(form.get("note", ""))[:2000]
    lang = i18n.lang_of(request)
    project_id = None
    try:
        with database(request).transaction() as s:
            case = s.get(ZoneCase, case_id) if 1 <= case_id <= 2**31 - 1 else None
            if case is None:
                raise DeliveryError("case_id", f"no case {case_id} / 未找到该联办事项")
            project_id = case.project_id
            zones.set_status(s, s.merge(user), case_id, zone, status, note)
    except NotYours:
        raise Forbidden(f"{user.username} does not work for {zone}") from None
    except DeliveryError as e:
        error = _error(e, lang)
        if back == "project" and project_id:
            return _detail(request, user, project_id, error=error, error_at=f"case-{case_id}")
        with database(request).transaction() as s:
            cases = _cases(s, None, policy)
        return render(request, "projects/zones.html", cases=cases, my_zone=_acting_zone(request, user, policy) or zone,
                      zone_statuses=zones.ZONE_STATUSES, zone_names=projects.zone_names(policy), message=None,
                      error=error, error_case=case_id, form={"status": status, "note": note},
                      **delivery_policy.view(policy_id, "/zones", "four_zones"))
    if back == "project" and project_id:
        return RedirectResponse(delivery_policy.with_policy(f"/projects/{project_id}?done=status#case-{case_id}",
                                                            policy_id), status_code=303)
    suffix = f"&zone={quote(zone)}" if user.role == "admin" else ""
    return RedirectResponse(delivery_policy.with_policy(f"/zones?done=status{suffix}#case-{case_id}", policy_id),
                            status_code=303)
