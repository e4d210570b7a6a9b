"""The delivery services as JSON: the project registry, published lists, the commitments ledger, enterprise
voice and the four zones' joint cases.

Each route calls the service the page calls (:mod:`huiqi.delivery`), and for a listing the page's own query
(its ``_listing``/``_rows``/``_cases``), so the page and the API cannot differ; who may do what is the pages'
rule: departments (``reviewer``) and administrators for the registry, the ledger, zone cases and list
management, enterprises (``applicant``) raise and rate problems, the public reads published lists and the
voice figures. ``?policy=`` chooses the policy as on the pages; a policy without the service answers 404
``service_absent``. A refused value is a 422 naming the field with its label from the page's form.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Callable, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from huiqi import clock, policies
from huiqi.api import schemas as S
from huiqi.api.routes_workflow import DB, CurrentUser, Id, Paging, WorkflowError
from huiqi.api.schemas import contract
from huiqi.delivery import DeliveryError, NotYours, commitments, features, lists, may_edit, projects, voice, zones
from huiqi.storage.db import Database
from huiqi.storage.models import User
from huiqi.storage.models_delivery import ListEntry, Project, ProjectMilestone, ProjectPlanStep, VoiceTicket

router = APIRouter(prefix="/api/v1", tags=["delivery"])
STAFF = ("reviewer", "admin")  # the pages' ROLES for the registry, the ledger, zones, list management and the inbox
PolicyQ = Annotated[str | None, Query(max_length=64, description="政策编号（见 /api/v1/policies），默认为默认政策 / "
                                                                 "policy id, the default policy when omitted")]
_NOT_FOUND_FIELDS = ("project_id", "entry_id", "case_id", "ticket_id", "commitment_id")
_STATE_FIELDS = ("status",)  # a voice ticket already answered or not yet answered: the state, not the value


def _policy(policy_id: str | None, feature: str):
    """The chosen policy when it offers ``feature``; else 404 naming ``policy``."""
    try:
        chosen = policies.load(policy_id)
    except policies.UnknownPolicy as e:
        raise WorkflowError(404, "policy_not_found", f"unknown policy '{e.policy_id}' (known: {', '.join(e.known)}) / "
                            f"未知的政策“{e.policy_id}”（可选：{'、'.join(e.known)}）", "policy") from None
    if not features.has(feature, chosen):
        raise WorkflowError(404, "service_absent", "this policy has no such service / 本政策未设此项服务", "policy")
    return chosen


def _role(user: User, roles: tuple[str, ...]) -> None:
    if user.role not in roles:
        raise WorkflowError(403, "forbidden", "your role may not use this service / 您的角色无权使用此项服务")


def _run(db: Database, prefix: str, fn: Callable[[Any], Any]):
    """``fn(session)`` in one transaction; the services' refusals as statuses, the field named by the page's label."""
    from huiqi.web import i18n
    from huiqi.web.pages_commitments import field_label

    try:
        with db.transaction() as s:
            return fn(s)
    except NotYours as e:
        raise WorkflowError(403, "forbidden", str(e)) from None
    except DeliveryError as e:
        en, _, zh = e.message.rpartition(" / ") if " / " in e.message else (e.message, "", e.message)
        zh_label, en_label = field_label(prefix, e.field, "zh"), field_label(prefix, e.field, "en")
        if f"{prefix}.f.{e.field}" in i18n.MESSAGES:
            zh, en = f"{zh_label}：{zh}", f"{en_label}: {en}"
        if e.field in _NOT_FOUND_FIELDS:
            raise WorkflowError(404, "not_found", f"{en} / {zh}", e.field) from None
        if e.field in _STATE_FIELDS:
            raise WorkflowError(409, "conflict", f"{en} / {zh}", e.field) from None
        raise WorkflowError(422, "invalid", f"{en} / {zh}", f"body.{e.field}") from None


# -- response models ------------------------------------------------------------------------------


class ProjectOut(BaseModel):
    """项目库中的一个项目：金额既有整数分（*_fen），也有可回传修改的元字符串 / a registry project: money as integer
    fen (``*_fen``) and as the yuan strings a PATCH takes back."""

    model_config = ConfigDict(extra="allow", json_schema_extra=S.policy_example(lambda p: {
        "id": 1, "policy_id": p.header.id, "code": "XM-001", "name": "智能制造基地", "investor": "示例投资有限公司",
        "credit_code": "91530100MA6K3YXF8W", "investor_origin": "out_of_province", "district": None,
        "park": None, "zone": None, "chain": None, "stage": "started", "introduced_on": S.span(p)["start"],
        "department": S.lead(p), "measures": list(projects.project_measures(p)[:1]), "total_investment": "150000000.00",
        "total_investment_fen": 15000000000}))
    id: int
    policy_id: str
    code: str
    name: str
    investor: str
    credit_code: str | None = None
    investor_origin: str = Field(description="in_province 省内 / out_of_province 省外 / foreign 境外")
    district: str | None = None
    park: str | None = None
    zone: str | None = None
    chain: str | None = None
    stage: str = Field(description="reserve 储备 / preparation 前期 / started 开工 / operating 投产")
    introduced_on: dt.date | None = None
    department: str = Field(description="登记维护的部门 / the keeping department")
    measures: list[str]
    total_investment_fen: int
    annual_investment_fen: int | None = None
    annual_fixed_asset_fen: int | None = None
    equipment_fen: int | None = None
    total_investment: str | None = None
    annual_investment: str | None = None
    annual_fixed_asset: str | None = None
    equipment: str | None = None


class ProjectDetailOut(ProjectOut):
    """项目详情：政策计算器研判、节点、一企一案、联办事项 / a project with the engine's judgement, milestones,
    its service plan and its joint zone cases."""

    evaluation: list[dict[str, Any]] = Field(description="登记措施中给项目的补助，按政策计算器研判 / the engine's results")
    as_of: dt.date
    milestones: list[dict[str, Any]]
    plan: list[dict[str, Any]]
    cases: list[dict[str, Any]]
    editable: bool = Field(description="当前用户能否修改 / whether you may change it")


class ListEntryOut(BaseModel):
    """推介清单条目（金额为整数分）/ a published-list entry (money in integer fen)."""

    model_config = ConfigDict(extra="allow", json_schema_extra=S.policy_example(lambda p: {
        "id": 3, "policy_id": p.header.id, "kind": next(iter(lists.kinds(p)), "list"), "name": "某污水处理厂项目",
        "sector": "环保", "district": None, "investment_fen": 50000000000, "contact": "联系电话",
        "department": S.lead(p), "published_on": S.span(p)["start"], "withdrawn_on": None, "status": "published"}))
    id: int
    policy_id: str
    kind: str
    name: str
    sector: str | None = None
    district: str | None = None
    investment_fen: int | None = None
    contact: str | None = None
    department: str
    published_on: dt.date | None = None
    withdrawn_on: dt.date | None = None
    status: str = Field(description="draft 草稿 / scheduled 定期发布 / published 已发布 / withdrawn 已撤回")


class CommitmentOut(BaseModel):
    """督办台账中的一项任务（逐句分解自措施原文）/ a commitment, one sentence of a measure."""

    model_config = ConfigDict(extra="allow", json_schema_extra=S.policy_example(lambda p: {
        "id": f"{p.measures[0].id}.c01", "measure_id": p.measures[0].id, "sentence": "……", "departments": [S.lead(p)],
        "due": S.span(p)["end"], "status": "in_progress", "latest": "已完成第一批兑现"}))
    id: str = Field(description="任务编号 <措施>.c<NN> / the commitment's number")
    measure_id: str
    sentence: str
    departments: list[str]
    due: dt.date
    status: str = Field(description="not_started / in_progress / done / overdue（逾期由日期判断）")
    latest: str | None = None


class CommitmentDetailOut(CommitmentOut):
    """任务及其填报记录 / a commitment with its reports, oldest first."""

    history: list[dict[str, Any]]
    editable: bool


class ReportOut(BaseModel):
    """已填报的进展 / the progress reported."""

    id: int
    commitment_id: str
    status: str
    note: str
    at: dt.datetime


class TicketOut(BaseModel):
    """企业反映的问题（政企沟通）/ a problem raised in the enterprise-voice channel."""

    model_config = ConfigDict(extra="allow", json_schema_extra=S.policy_example(lambda p: {
        "id": 5, "policy_id": p.header.id, "channel": "online", "subject": "补助兑现进度", "content": "……",
        "department": S.lead(p), "status": "answered", "raised_on": S.span(p)["start"], "due_on": S.span(p)["start"],
        "answer": "已受理", "answered_on": S.span(p)["start"], "rating": None, "escalated_on": None, "overdue": False}))
    id: int
    policy_id: str
    channel: str = Field(description="online 网上反映 / salon 营商环境会客厅 / hearing 三个听取")
    subject: str
    content: str
    department: str
    status: str = Field(description="open 待答复 / answered 已答复 / closed 已评价")
    raised_on: dt.date
    due_on: dt.date = Field(description="答复时限（工作日计）/ the answer's deadline, in working days")
    answer: str | None = None
    answered_on: dt.date | None = None
    rating: int | None = None
    escalated_on: dt.date | None = None
    overdue: bool


class VoiceStatsOut(BaseModel):
    """政企沟通的汇总数字（不含个人信息）/ the channel's figures, no personal data."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"raised": 12, "answered": 10, "answered_on_time": 9,
                                                               "open_overdue": 1, "mean_working_days": 2.5,
                                                               "mean_rating": 4.6, "rated": 8}]})
    raised: int
    answered: int
    answered_on_time: int
    open_overdue: int
    mean_working_days: float | None = Field(default=None, description="平均答复工作日（非金额）/ mean working days")
    mean_rating: float | None = Field(default=None, description="平均评分 1–5（非金额）/ mean rating")
    rated: int


class ZoneCaseOut(BaseModel):
    """一区申请、四区联办的事项，逐区状态 / a joint case, with each zone's status."""

    model_config = ConfigDict(extra="allow", json_schema_extra=S.policy_example(lambda p: {
        "id": 2, "project_id": 1, "project_code": "XM-001", "project_name": "智能制造基地",
        "filed_zone": next(iter(projects.zone_names(p)), "—"), "matter": "用地预审", "filed_by": "zone-1",
        "overall": "processing", "zones": [{"zone": z, "status": "processing", "note": None, "by": "zone-1"}
                                           for z in projects.zone_names(p)[:1]]}))
    id: int
    project_id: int
    project_code: str
    project_name: str
    filed_zone: str
    matter: str
    filed_by: str
    overall: str = Field(description="received 已接收 / processing 办理中 / done 已办结")
    zones: list[dict[str, Any]]


class ZoneStatusOut(BaseModel):
    """本区状态已更新 / the zone's status as updated."""

    case_id: int
    zone: str
    status: str
    note: str | None = None


class Created(BaseModel):
    """已保存的记录编号 / the id of the record stored."""

    id: int


# -- request bodies -------------------------------------------------------------------------------

Money = Annotated[str | int | None, Field(default=None, description="元：字符串如 \"1500000.00\" 或整数 / yuan: a string "
                                                                    "like \"1500000.00\" or a whole number")]
Text = Annotated[str | None, Field(default=None, max_length=300)]


class ProjectIn(BaseModel):
    """项目信息（与项目库表单、导入表同一校验）/ a project's fields, checked as the form and the import are."""

    model_config = ConfigDict(extra="forbid")
    code: Text = None
    name: Text = None
    investor: Text = None
    credit_code: Text = None
    investor_origin: Text = Field(default=None, description="省内/省外/境外 or in_province/out_of_province/foreign")
    district: Text = Field(default=None, description="县区代码 / district code")
    park: Text = None
    zone: Text = None
    chain: Text = None
    total_investment: Money = None
    annual_investment: Money = None
    annual_fixed_asset: Money = None
    equipment: Money = None
    stage: Text = Field(default=None, description="储备/前期/开工/投产 or reserve/preparation/started/operating")
    introduced_on: dt.date | None = None
    service_officer: Text = None
    packaged: bool | None = None
    fits_park_leading_industry: bool | None = None
    technical_renovation: bool | None = None
    park_development_mode: bool | None = None
    in_mohan_border_park: bool | None = None
    measures: list[Annotated[str, Field(max_length=8)]] | None = Field(default=None, max_length=40)
    department: Text = Field(default=None, description="登记单位（仅管理员填写）/ keeping department (administrators)")

    def data(self) -> dict[str, Any]:
        """The fields sent, as :func:`projects.clean` reads them (yuan as text)."""
        out = self.model_dump(exclude_unset=True)
        return {k: (str(v) if isinstance(v, int) and not isinstance(v, bool) else v) for k, v in out.items()}


class MilestoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    due: dt.date | None = None
    done_on: dt.date | None = None


class PlanStepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    step: str = Field(min_length=1, max_length=300)
    responsible: str | None = Field(default=None, max_length=100)
    status: Literal["todo", "doing", "done"] = "todo"


class CaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zone: str = Field(min_length=1, max_length=40, description="受理区 / the zone filed at")
    matter: str = Field(min_length=1, max_length=5000)


class ZoneStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zone: str = Field(min_length=1, max_length=40)
    status: Literal["received", "processing", "done", "not_applicable"]
    note: str | None = Field(default=None, max_length=2000)


class ListEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(min_length=1, max_length=40, description="清单类别（键或中文名）/ the list, by key or Chinese name")
    name: str = Field(min_length=1, max_length=200)
    sector: str | None = Field(default=None, max_length=100)
    district: str | None = Field(default=None, max_length=6)
    investment: Money = None
    contact: str | None = Field(default=None, max_length=200)
    published_on: dt.date | None = Field(default=None, description="留空为草稿 / empty: a draft")
    department: str | None = Field(default=None, max_length=100, description="仅管理员 / administrators only")


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["not_started", "in_progress", "done"]
    note: str = Field(min_length=1, max_length=5000)


class TicketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str = Field(min_length=1, max_length=200)
    content: str = Field(min_length=1, max_length=5000)
    channel: Literal["online", "salon", "hearing"] = "online"
    measure_id: str | None = Field(default=None, max_length=8)
    department: str | None = Field(default=None, max_length=100)


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: str = Field(min_length=1, max_length=5000)


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rating: int = Field(ge=1, le=5)


# -- the project registry -------------------------------------------------------------------------

REGISTRY = "project_registry"
READ = (401, 403, 404, 422)
WRITE = (401, 403, 404, 409, 413, 415, 422)


def _project(p: Project) -> dict[str, Any]:
    out = {"id": p.id, "policy_id": p.policy_id, **projects.as_dict(p)}
    out.update({f"{f}_fen": getattr(p, f"{f}_fen") for f in projects.MONEY_FIELDS})
    return out


@router.get("/projects", summary="项目库 / the project registry", **contract(
    list[ProjectOut], "当前页的项目 / this page of projects", *READ, paged=True),
    description="投资类措施的项目台账，与项目库页面同一筛选（阶段、来源、四区、产业链、措施）；部门和管理员可查看。 / The "
                "registry behind the investment measures, filtered as the page filters it; departments and "
                "administrators.")
def list_projects(request: Request, user: CurrentUser, db: DB, page: Paging, policy: PolicyQ = None,
                  stage: Annotated[Literal["reserve", "preparation", "started", "operating"] | None, Query()] = None,
                  origin: Annotated[Literal["in_province", "out_of_province", "foreign"] | None, Query()] = None,
                  zone: Annotated[str | None, Query(max_length=40)] = None,
                  chain: Annotated[str | None, Query(max_length=60)] = None,
                  measure: Annotated[str | None, Query(max_length=8)] = None) -> Any:
    from huiqi.web.pages_projects import _listing

    chosen = _policy(policy, REGISTRY)
    _role(user, STAFF)
    if zone and zone not in projects.zone_names(chosen):
        raise WorkflowError(422, "invalid", "not a zone of the policy / 不是本政策所列园区", "query.zone")
    if measure and measure not in projects.project_measures(chosen):
        raise WorkflowError(422, "invalid", "not a registry measure / 不是项目库所涉措施", "query.measure")
    f = {"stage": stage or "", "origin": origin or "", "zone": zone or "", "chain": chain or "", "measure": measure or "",
         "policy": chosen.header.id}
    with db.transaction() as s:
        rows = [_project(p) for p in _listing(s, f)]
    return S.paged(request, rows, page)


@router.get("/projects/{project_id}", summary="一个项目 / one project", **contract(
    ProjectDetailOut, "项目详情 / the project", *READ),
    description="项目信息、政策计算器对登记措施补助的研判（?as_of=，默认今天）、节点、一企一案和联办事项。 / The project, the "
                "engine's judgement of the registry measures' subsidies (?as_of=, today by default), milestones, "
                "plan and joint cases.")
def get_project(project_id: Id, user: CurrentUser, db: DB,
                as_of: Annotated[dt.date | None, Query(description="研判日期 / judged as of")] = None) -> Any:
    from huiqi.web.pages_projects import _cases

    _role(user, STAFF)
    day = as_of or clock.today()
    with db.transaction() as s:
        p = s.get(Project, project_id)
        if p is None:
            raise WorkflowError(404, "not_found", f"project {project_id} not found / 未找到第 {project_id} 号项目", "project_id")
        body = _project(p)
        body["evaluation"] = [r.as_dict() for r in projects.evaluate_project(p, day)]
        body["as_of"] = day
        body["milestones"] = [{"id": m.id, "title": m.title, "due": m.due, "done_on": m.done_on} for m in s.execute(
            select(ProjectMilestone).where(ProjectMilestone.project_id == p.id)
            .order_by(ProjectMilestone.due, ProjectMilestone.id)).scalars()]
        body["plan"] = [{"id": x.id, "seq": x.seq, "step": x.step, "responsible": x.responsible, "status": x.status}
                        for x in s.execute(select(ProjectPlanStep).where(ProjectPlanStep.project_id == p.id)
                                           .order_by(ProjectPlanStep.seq)).scalars()]
        body["cases"] = _cases(s, [p.id], projects.policy_of(p))
    body["editable"] = may_edit(user, [body["department"]])
    return body


@router.post("/projects", status_code=201, summary="登记项目 / add a project", **contract(
    ProjectOut, "已登记 / added", *WRITE, status=201),
    description="部门登记的项目归本部门维护（管理员须填 department）；与页面表单同一校验，金额以元为单位。 / A department's "
                "project is kept by it (administrators name the department); checked as the page's form is, money "
                "in yuan.")
def create_project(body: ProjectIn, user: CurrentUser, db: DB, policy: PolicyQ = None) -> Any:
    chosen = _policy(policy, REGISTRY)
    _role(user, STAFF)
    data = {"measures": [], **body.data()}
    return _run(db, "pj", lambda s: _project(projects.create(s, s.merge(user), data, chosen)))


@router.patch("/projects/{project_id}", summary="修改项目 / change a project", **contract(
    ProjectOut, "已保存 / saved", *WRITE),
    description="只改所给字段；仅登记部门和管理员。 / Changes the fields given; the keeping department and "
                "administrators only.")
def update_project(project_id: Id, body: ProjectIn, user: CurrentUser, db: DB) -> Any:
    _role(user, STAFF)
    return _run(db, "pj", lambda s: _project(projects.update(s, s.merge(user), project_id, body.data())))


@router.post("/projects/{project_id}/milestones", status_code=201, summary="添加项目节点 / add a milestone",
             **contract(Created, "已添加 / added", *WRITE, status=201),
             description="仅登记部门和管理员。 / The keeping department and administrators only.")
def add_milestone(project_id: Id, body: MilestoneIn, user: CurrentUser, db: DB) -> Any:
    _role(user, STAFF)
    return _run(db, "pj", lambda s: {"id": projects.add_milestone(s, s.merge(user), project_id, body.title, body.due,
                                                                  body.done_on).id})


@router.post("/projects/{project_id}/plan", status_code=201, summary="添加一企一案服务事项 / add a service-plan step",
             **contract(Created, "已添加 / added", *WRITE, status=201),
             description="仅登记部门和管理员。 / The keeping department and administrators only.")
def add_plan_step(project_id: Id, body: PlanStepIn, user: CurrentUser, db: DB) -> Any:
    _role(user, STAFF)
    return _run(db, "pj", lambda s: {"id": projects.add_plan_step(s, s.merge(user), project_id, body.step,
                                                                  body.responsible, body.status).id})


# -- the four zones -------------------------------------------------------------------------------


@router.post("/projects/{project_id}/cases", status_code=201, summary="提交联办申请 / file a joint zone case",
             **contract(Created, "已提交，四区同步接收 / filed; every zone received it", *WRITE, status=201),
             description="登记部门、四区管委会和管理员可提交；四区同时接收。 / The keeping department, a zone committee or "
                         "an administrator files; all zones receive it.")
def file_case(project_id: Id, body: CaseIn, user: CurrentUser, db: DB) -> Any:
    _role(user, STAFF)

    def work(s):
        p = s.get(Project, project_id)
        if p is None:
            raise DeliveryError("project_id", f"unknown project {project_id} / 未找到项目")
        policy = projects.policy_of(p)
        if not features.has("four_zones", policy):
            raise WorkflowError(404, "service_absent", "this policy has no such service / 本政策未设此项服务", "policy")
        if not (may_edit(user, [p.department]) or zones.zone_of(user, policy) is not None):
            raise NotYours(f"project {p.code} is kept by {p.department} / 非本单位项目")
        return {"id": zones.file(s, s.merge(user), project_id, body.zone, body.matter).id}

    return _run(db, "pj", work)


@router.get("/zone-cases", summary="四区联办事项 / the four zones' joint cases", **contract(
    list[ZoneCaseOut], "当前页的联办事项 / this page of cases", *READ, paged=True),
    description="所选政策的全部联办事项，新的在前，逐区状态。 / The chosen policy's joint cases, newest first, zone by zone.")
def list_zone_cases(request: Request, user: CurrentUser, db: DB, page: Paging, policy: PolicyQ = None) -> Any:
    from huiqi.web.pages_projects import _cases

    chosen = _policy(policy, "four_zones")
    _role(user, STAFF)
    with db.transaction() as s:
        rows = _cases(s, None, chosen)
    return S.paged(request, rows, page)


@router.post("/zone-cases/{case_id}/status", summary="更新本区办理状态 / update a zone's status", **contract(
    ZoneStatusOut, "已更新 / updated", *WRITE),
    description="四区管委会只改本区状态；管理员可代任一区。 / A zone committee changes its own zone's status; an "
                "administrator any zone's.")
def set_zone_status(case_id: Id, body: ZoneStatusIn, user: CurrentUser, db: DB) -> Any:
    _role(user, STAFF)

    def work(s):
        row = zones.set_status(s, s.merge(user), case_id, body.zone, body.status, body.note)
        return {"case_id": row.case_id, "zone": row.zone, "status": row.status, "note": row.note}

    return _run(db, "pj", work)


# -- published lists ------------------------------------------------------------------------------

LISTS = "published_lists"


def _entry(e: ListEntry, today: dt.date) -> dict[str, Any]:
    from huiqi.web.pages_lists import _status

    return {"id": e.id, "policy_id": e.policy_id, "kind": e.kind, "name": e.name, "sector": e.sector,
            "district": e.district, "investment_fen": e.investment_fen, "contact": e.contact, "department": e.department,
            "published_on": e.published_on, "withdrawn_on": e.withdrawn_on, "status": _status(e, today)[0]}


@router.get("/lists", summary="推介清单（公开）/ the published lists", **contract(
    list[ListEntryOut], "当前页的条目 / this page of entries", 404, 422, paged=True),
    description="今日已发布且未撤回的条目，可按类别、县区、关键词筛选（与公开页面相同）。 / Entries published by today and "
                "not withdrawn, filtered by kind, district and keyword as on the public page.")
def public_lists(request: Request, db: DB, page: Paging, policy: PolicyQ = None,
                 kind: Annotated[str | None, Query(max_length=40)] = None,
                 district: Annotated[str | None, Query(max_length=6)] = None,
                 q: Annotated[str | None, Query(max_length=100, description="项目名称或行业 / name or sector")] = None) -> Any:
    chosen = _policy(policy, LISTS)
    if kind and kind not in lists.kinds(chosen):
        raise WorkflowError(422, "invalid", f"one of: {', '.join(lists.kinds(chosen))} / 清单类别无效", "query.kind")
    today = clock.today()
    with db.transaction() as s:
        rows = [_entry(e, today) for e in lists.public(s, today, kind=kind, district=district, q=q, policy=chosen)]
    return S.paged(request, rows, page)


@router.get("/lists/manage", summary="本单位清单条目（含草稿）/ my department's entries, drafts included", **contract(
    list[ListEntryOut], "当前页的条目 / this page of entries", *READ, paged=True),
    description="部门看本单位的条目，管理员看全部。 / A department sees its own entries, an administrator all.")
def managed_lists(request: Request, user: CurrentUser, db: DB, page: Paging, policy: PolicyQ = None) -> Any:
    chosen = _policy(policy, LISTS)
    _role(user, STAFF)
    today = clock.today()
    with db.transaction() as s:
        stmt = select(ListEntry).where(ListEntry.policy_id == chosen.header.id).order_by(ListEntry.id.desc())
        if user.role != "admin":
            stmt = stmt.where(ListEntry.department == user.department)
        rows = [_entry(e, today) for e in s.execute(stmt).scalars()]
    return S.paged(request, rows, page)


@router.post("/lists", status_code=201, summary="新增清单条目 / add a list entry", **contract(
    ListEntryOut, "已保存 / saved", *WRITE, status=201),
    description="无发布日期即为草稿。 / Without a publication date it is a draft.")
def add_list_entry(body: ListEntryIn, user: CurrentUser, db: DB, policy: PolicyQ = None) -> Any:
    chosen = _policy(policy, LISTS)
    _role(user, STAFF)
    data = body.model_dump()
    data["investment"] = None if data["investment"] is None else str(data["investment"])
    if user.role != "admin":
        data["department"] = ""  # as the page: a department adds to its own entries
    return _run(db, "ls", lambda s: _entry(lists.add(s, s.merge(user), data, chosen), clock.today()))


def _list_action(entry_id: int, user: User, db: Database, action) -> Any:
    _role(user, STAFF)
    return _run(db, "ls", lambda s: _entry(action(s, s.merge(user), entry_id, clock.today()), clock.today()))


@router.post("/lists/{entry_id}/publish", summary="发布清单条目 / publish an entry", **contract(
    ListEntryOut, "已发布 / published", *WRITE), description="今日发布。 / Published today.")
def publish_list_entry(entry_id: Id, user: CurrentUser, db: DB) -> Any:
    return _list_action(entry_id, user, db, lists.publish)


@router.post("/lists/{entry_id}/withdraw", summary="撤回清单条目 / withdraw an entry", **contract(
    ListEntryOut, "已撤回 / withdrawn", *WRITE), description="今日起不再公开。 / No longer public from today.")
def withdraw_list_entry(entry_id: Id, user: CurrentUser, db: DB) -> Any:
    return _list_action(entry_id, user, db, lists.withdraw)


# -- the commitments ledger -------------------------------------------------------------------------


def _known(policy_id: str | None):
    try:
        return policies.load(policy_id)
    except policies.UnknownPolicy as e:
        raise WorkflowError(404, "policy_not_found", f"unknown policy '{e.policy_id}' (known: {', '.join(e.known)}) / "
                            f"未知的政策“{e.policy_id}”（可选：{'、'.join(e.known)}）", "policy") from None


@router.get("/commitments", summary="督办台账 / the commitments ledger", **contract(
    list[CommitmentOut], "当前页的任务 / this page of commitments", *READ, paged=True),
    description="每条措施逐句分解的任务，按责任单位、措施、状态（含已逾期）筛选，与台账页面相同。 / Each measure's sentences "
                "of commitment, filtered by department, measure and status (overdue included) as on the page.")
def list_commitments(request: Request, user: CurrentUser, db: DB, page: Paging, policy: PolicyQ = None,
                     department: Annotated[str | None, Query(max_length=100)] = None,
                     measure: Annotated[str | None, Query(max_length=8)] = None,
                     status: Annotated[Literal["not_started", "in_progress", "done", "overdue"] | None, Query()] = None,
                     ) -> Any:
    from huiqi.web.pages_commitments import _rows

    chosen = _known(policy)
    _role(user, STAFF)
    if measure and chosen.measure(measure) is None:
        raise WorkflowError(422, "invalid", "unknown measure / 未知的措施", "query.measure")
    f = {"department": department or "", "measure": measure or "", "status": status or "", "policy": chosen.header.id}
    with db.transaction() as s:
        rows, _ = _rows(s, f, clock.today())
    out = [{"id": r["id"], "measure_id": r["measure_id"], "sentence": r["sentence"], "departments": r["departments"],
            "due": r["due"], "status": r["status"], "latest": r["latest"] or None} for r in rows]
    return S.paged(request, out, page)


@router.get("/commitments/{commitment_id}", summary="一项任务及填报记录 / one commitment with its reports", **contract(
    CommitmentDetailOut, "任务 / the commitment", *READ),
    description="任务编号为“措施编号.c序号”；报告按时间先后。 / Numbers are <measure>.c<NN>; reports oldest first.")
def commitment(commitment_id: Annotated[str, Path(max_length=20, pattern=r"^m\d\d\.c\d\d$",
                                                                        description="任务编号：措施编号.c序号 / <measure>.c<NN>")],
               user: CurrentUser, db: DB, policy: PolicyQ = None) -> Any:
    from huiqi.web.pages_commitments import _ensure_seeded

    chosen = _known(policy)
    _role(user, STAFF)
    today = clock.today()
    with db.transaction() as s:
        _ensure_seeded(s, chosen)
        c = commitments.find(s, chosen, commitment_id)
        if c is None:
            raise WorkflowError(404, "not_found", f"unknown commitment {commitment_id} / 未知的任务", "commitment_id")
        history = [{"id": r.id, "status": r.status, "note": r.note, "actor": r.actor, "department": r.department,
                    "evidence_name": r.evidence_name, "at": r.at} for r in commitments.history(s, c.code, chosen)]
        owners = commitments.departments(c)
        return {"id": c.code, "measure_id": c.measure_id, "sentence": c.sentence, "departments": owners, "due": c.due,
                "status": commitments.shown_status(c, today), "latest": history[-1]["note"] if history else None,
                "history": history, "editable": may_edit(user, owners)}


@router.post("/commitments/{commitment_id}/report", status_code=201, summary="填报任务进展 / report progress",
             **contract(ReportOut, "已填报 / reported", *WRITE, status=201),
             description="仅责任单位和管理员；佐证材料请在台账页面上传。 / The owning departments and administrators only; "
                         "evidence files are uploaded on the ledger page.")
def report_commitment(commitment_id: Annotated[str, Path(max_length=20, pattern=r"^m\d\d\.c\d\d$")],
                      body: ReportIn, user: CurrentUser, db: DB, policy: PolicyQ = None) -> Any:
    from huiqi.web.pages_commitments import _ensure_seeded

    chosen = _known(policy)
    _role(user, STAFF)

    def work(s):
        _ensure_seeded(s, chosen)
        r = commitments.report(s, s.merge(user), commitment_id, body.status, body.note, policy=chosen)
        return {"id": r.id, "commitment_id": commitment_id, "status": r.status, "note": r.note, "at": r.at}

    return _run(db, "cm", work)


# -- enterprise voice -------------------------------------------------------------------------------

VOICE = "voice_channel"


def _ticket(t: VoiceTicket, today: dt.date) -> dict[str, Any]:
    return {"id": t.id, "policy_id": t.policy_id, "channel": t.channel, "subject": t.subject, "content": t.content,
            "department": t.department, "status": t.status, "raised_on": t.raised_on, "due_on": t.due_on,
            "answer": t.answer, "answered_on": t.answered_on, "rating": t.rating, "escalated_on": t.escalated_on,
            "overdue": voice.is_overdue(t, today)}


@router.get("/voice/stats", summary="政企沟通汇总（公开）/ the voice channel's figures", **contract(
    VoiceStatsOut, "汇总 / the figures", 404, 422),
    description="反映、答复、按时答复、逾期未答复件数，平均答复工作日和满意度。 / Raised, answered, on time, overdue; mean "
                "working days to answer and mean rating.")
def voice_stats(db: DB, policy: PolicyQ = None) -> Any:
    chosen = _policy(policy, VOICE)
    with db.transaction() as s:
        return voice.stats(s, clock.today(), chosen)


@router.get("/voice/mine", summary="我反映的问题 / the problems I raised", **contract(
    list[TicketOut], "当前页的问题 / this page of problems", *READ, paged=True),
    description="企业用户自己在所选政策下反映的问题及答复，新的在前。 / An enterprise's own problems under the chosen "
                "policy with their answers, newest first.")
def my_tickets(request: Request, user: CurrentUser, db: DB, page: Paging, policy: PolicyQ = None) -> Any:
    chosen = _policy(policy, VOICE)
    _role(user, ("applicant",))
    today = clock.today()
    with db.transaction() as s:
        rows = [_ticket(t, today) for t in s.execute(
            select(VoiceTicket).where(VoiceTicket.raised_by == user.id, VoiceTicket.policy_id == chosen.header.id)
            .order_by(VoiceTicket.id.desc())).scalars()]
    return S.paged(request, rows, page)


@router.get("/voice/inbox", summary="部门待办（政企沟通）/ a department's inbox", **contract(
    list[TicketOut], "当前页的问题 / this page of problems", *READ, paged=True),
    description="部门看转给本单位的问题，管理员看全部；逾期未答复的先标记督办（与页面相同）。 / A department's problems, an "
                "administrator's all; overdue ones are escalated first, as the page does.")
def inbox(request: Request, user: CurrentUser, db: DB, page: Paging, policy: PolicyQ = None) -> Any:
    chosen = _policy(policy, VOICE)
    _role(user, STAFF)
    today = clock.today()
    with db.transaction() as s:
        voice.escalate_overdue(s, today)
        stmt = select(VoiceTicket).where(VoiceTicket.policy_id == chosen.header.id)
        if user.role != "admin":
            stmt = stmt.where(VoiceTicket.department == user.department)
        tickets = list(s.execute(stmt).scalars())
        order = {"open": 0, "answered": 1, "closed": 2}
        tickets.sort(key=lambda t: (order.get(t.status, 3), t.due_on, t.id))
        rows = [_ticket(t, today) for t in tickets]
    return S.paged(request, rows, page)


@router.post("/voice", status_code=201, summary="反映问题 / raise a problem", **contract(
    TicketOut, "已转交责任部门 / sent to the responsible department", *WRITE, status=201),
    description="企业用户反映问题：选部门则转交该部门，否则转交所选措施的牵头单位；答复时限按工作日计。 / An enterprise "
                "raises a problem: to the department chosen, else the measure's lead department; due in working days.")
def raise_ticket(body: TicketIn, user: CurrentUser, db: DB, policy: PolicyQ = None) -> Any:
    chosen = _policy(policy, VOICE)
    _role(user, ("applicant",))
    today = clock.today()
    return _run(db, "vc", lambda s: _ticket(voice.raise_ticket(
        s, s.merge(user), body.subject, body.content, today=today, channel=body.channel,
        measure_id=body.measure_id, department=body.department, policy=chosen), today))


@router.post("/voice/{ticket_id}/answer", summary="答复问题 / answer a problem", **contract(
    TicketOut, "已答复 / answered", *WRITE),
    description="责任部门或管理员答复一次；已答复的 409。 / The responsible department or an administrator answers once; "
                "409 when already answered.")
def answer_ticket(ticket_id: Id, body: AnswerIn, user: CurrentUser, db: DB) -> Any:
    _role(user, STAFF)
    today = clock.today()
    return _run(db, "vc", lambda s: _ticket(voice.answer(s, s.merge(user), ticket_id, body.answer, today), today))


@router.post("/voice/{ticket_id}/rate", summary="评价答复 / rate the answer", **contract(
    TicketOut, "已评价 / rated", *WRITE),
    description="反映人对答复评分 1–5；未答复的 409。 / The enterprise that raised it rates the answer 1–5; 409 before "
                "it is answered.")
def rate_ticket(ticket_id: Id, body: RatingIn, user: CurrentUser, db: DB) -> Any:
    _role(user, ("applicant",))
    return _run(db, "vc", lambda s: _ticket(voice.rate(s, s.merge(user), ticket_id, body.rating), clock.today()))
