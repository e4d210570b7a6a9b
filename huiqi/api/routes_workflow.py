"""The workflow API: sign-in, applications through review to disbursement, pools, public notice, audit.

Thin over :mod:`huiqi.workflow.service`; every mutating call is one database transaction. Callers
authenticate with a bearer token (machine clients) or the ``huiqi_session`` cookie (browsers);
cookie-authenticated changes must echo the session's CSRF token in ``X-CSRF-Token``.
``Idempotency-Key`` on create, submit, approve and disburse makes a retry return the first answer.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Annotated, Any, Callable

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, false, func, or_, select, true

from huiqi.api import schemas as S
from huiqi.api.schemas import contract
from huiqi.parse.money import fen_type
from huiqi.storage.db import Database
from huiqi.storage.models import Application, IdempotencyKey, User
from huiqi.workflow import accounts, audit, ledger, service
from huiqi.workflow.states import TransitionError

router = APIRouter(prefix="/api/v1", tags=["workflow"])
Id = Annotated[int, Path(ge=1, le=2**31 - 1, description="编号 / id")]
COOKIE = "huiqi_session"


class WorkflowError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        self.status, self.code, self.message, self.field = status, code, message, field


_INIT = threading.Lock()  # first use may come from several threads at once; migrate once


def database(request: Request) -> Database:
    state = request.app.state
    if getattr(state, "database", None) is not None and getattr(state, "pools_ready", False):
        return state.database
    with _INIT:
        if getattr(state, "database", None) is None:  # first use: the configured database, migrated
            db = Database()
            db.create_all()
            state.database = db
        if not getattr(state, "pools_ready", False):
            with state.database.transaction() as s:
                ledger.ensure_pools(s)  # every policy served
            state.pools_ready = True
    return state.database


DB = Annotated[Database, Depends(database)]


def _authenticate(request: Request, db: Database, authorization: str | None) -> tuple[User | None, str | None]:
    """(user, csrf token of the cookie session or None for a bearer token)."""
    with db.transaction() as s:
        if authorization and authorization.lower().startswith("bearer "):
            user = accounts.user_for_token(s, authorization[7:].strip())
            if user is None:
                raise WorkflowError(401, "bad_token", "invalid token / 令牌无效")
            s.expunge(user)
            return user, None
        sid = request.cookies.get(COOKIE)
        if sid:
            found = accounts.user_for_session(s, sid)
            if found:
                s.expunge(found[0])
                return found
    return None, None


def optional_user(request: Request, db: DB, authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
                  x_csrf_token: Annotated[str | None, Header(description="Cookie 会话的修改请求须回传登录时的 csrf_token "
                                                                          "/ cookie-session changes echo the sign-in's csrf_token")] = None,
                  _bearer: Annotated[Any, Depends(S.bearer_scheme)] = None,
                  _cookie: Annotated[Any, Depends(S.cookie_scheme)] = None) -> User | None:
    """The caller, by bearer token or session cookie (``_bearer``/``_cookie`` only declare the two schemes to the
    OpenAPI document, so Swagger offers Authorize; the check is the code below)."""
    user, csrf = _authenticate(request, db, authorization)
    if user is not None and csrf is not None and request.method not in ("GET", "HEAD") and x_csrf_token != csrf:
        raise WorkflowError(403, "csrf", "missing or wrong X-CSRF-Token / 缺少或错误的 CSRF 令牌")
    return user


def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise WorkflowError(401, "unauthenticated", "sign in first / 请先登录")
    return user


CurrentUser = Annotated[User, Depends(current_user)]
Paging = Annotated[S.Page, Depends(S.page_params)]
MaybeUser = Annotated[User | None, Depends(optional_user)]


def _run(db: Database, fn: Callable, *args, **kwargs):
    """Call a service function in one transaction, mapping its refusals to HTTP statuses."""
    try:
        with db.transaction() as s:
            return fn(s, *args, **kwargs)
    except service.NotFound as e:
        raise WorkflowError(404, "not_found", str(e)) from None
    except service.PermissionDenied as e:
        raise WorkflowError(403, "forbidden", str(e)) from None
    except (TransitionError, ledger.InsufficientFunds) as e:
        raise WorkflowError(409, "conflict", str(e)) from None
    except service.OpinionRequired as e:
        raise WorkflowError(422, "opinion_required", str(e), "opinion") from None
    except service.MaterialsMissing as e:  # the application's 申报材料清单 is not complete
        raise WorkflowError(422, "materials_missing", str(e), "materials") from None
    except service.Refused as e:
        raise WorkflowError(409, "refused", str(e)) from None
    except ValueError as e:
        raise WorkflowError(422, "invalid", str(e)) from None


def app_dict(app: Application, s=None) -> dict[str, Any]:
    from huiqi.money import format_fen

    d = {k: getattr(app, k) for k in ("id", "policy_id", "provision_id", "measure_id", "event_id", "status", "credit_code", "policy_version",
                                      "entitlement_fen", "is_cap", "approved_fen", "pool_id", "reason", "notice_from",
                                      "notice_until", "disbursed_on", "disbursement_voucher")}
    d["approved_display"] = format_fen(app.approved_fen) if app.approved_fen else None
    d["entitlement"] = json.loads(app.entitlement_json) if app.entitlement_json else None
    if s is not None:
        d["timeline"] = service.timeline(s, app.id)
    return d


def _visible(s, user: User, app_id: Id) -> Application:
    app = s.get(Application, app_id)
    if app is None or not service.can_view(user, app):
        raise service.NotFound(f"application {app_id} not found / 未找到申请")  # 404: existence is not revealed
    return app


def idempotent(db: Database, user: User, key: str | None, endpoint: str, work: Callable[[Any], tuple[int, Any]]):
    """Run ``work(session)`` once per (user, key, endpoint); a repeat returns the stored answer.

    The effect and the stored answer commit in one transaction; a key whose holder died is taken over
    after its lease (:mod:`huiqi.api.idempotency`)."""
    from huiqi.api import idempotency
    from huiqi.api.app import PolicyJSON

    if not key:
        status, body = _run(db, work)
        return PolicyJSON(body, status_code=status)
    try:
        status, body = idempotency.run(db, user, key, endpoint, work, lambda fn: _run(db, fn),
                                       rebuild=lambda s, app_id: (201 if endpoint == "create" else 200,
                                                                  app_dict(s.get(Application, app_id),
                                                                           None if endpoint == "create" else s)))
    except idempotency.InProgress:
        raise WorkflowError(409, "in_progress", "a request with this Idempotency-Key is still running; retry "
                            "later / 相同请求正在处理，请稍后重试") from None
    return PolicyJSON(body, status_code=status)


# -- sign-in ---------------------------------------------------------------------------------


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


@router.post("/auth/login", summary="登录 / sign in (sets the session cookie; returns the CSRF token)",
             **contract(S.LoginOut, '已登录 / signed in', 401, 413, 415, 422),
             description="用户名和密码登录，设置 HttpOnly 会话 Cookie 并返回 CSRF 令牌；失败一律 401 login_failed，需等待时带 Retry-After。 / Signs "
                         "in, sets the HttpOnly session cookie and returns the CSRF token; every failure is one 401 "
                         "login_failed, with Retry-After while the caller must wait.")
def login(body: Login, request: Request, response: Response, db: DB) -> Any:
    from huiqi.api.app import PolicyJSON, _error_body
    from huiqi.web.auth import client_address

    failed = None
    with db.transaction() as s:  # a failure is committed too: its audit entry and the throttle's count
        try:
            user = accounts.login(s, body.username, body.password, client=client_address(request))
            sid, csrf = accounts.new_session(s, user)
            out = {"user": {"username": user.username, "role": user.role, "department": user.department}, "csrf_token": csrf}
        except accounts.LoginFailed as e:
            failed = e
    if failed is not None:  # one answer for every failure; Retry-After while the caller must wait
        return PolicyJSON(_error_body("login_failed", failed.zh, failed.en), status_code=401,
                          headers={"Retry-After": str(failed.retry_after)} if failed.retry_after else None)
    response.set_cookie(COOKIE, sid, httponly=True, secure=True, samesite="strict", max_age=accounts.SESSION_HOURS * 3600)
    return out


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)


@router.post("/auth/tokens", summary="API 令牌 / a bearer token for machine clients (shown once)",
             **contract(S.TokenOut, '新令牌 / the new token', 401, 403, 413, 415, 422),
             description='为当前用户签发 Bearer 令牌，只显示一次。 / Issues a bearer token for the signed-in user; it is shown once.')
def token(body: TokenRequest, user: CurrentUser, db: DB) -> Any:
    with db.transaction() as s:
        return {"token": accounts.new_token(s, s.merge(user), body.name)}


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=3, max_length=64, pattern=r"^[\w\-.]+$")
    password: str = Field(min_length=10, max_length=200)
    role: str = Field(pattern=r"^(applicant|reviewer|finance|admin)$")
    display_name: str | None = Field(default=None, max_length=200)
    department: str | None = Field(default=None, max_length=100)
    credit_code: str | None = Field(default=None, max_length=18)


@router.post("/users", status_code=201, summary="创建用户（管理员）/ create a user (admin)",
             **contract(S.UserCreated, '已创建 / created', 401, 403, 413, 415, 422, status=201),
             description="管理员创建用户；部门用户的部门须为政策所列牵头单位。 / An administrator creates a user; a reviewer's department must "
                         "be a lead department named in the policy.")
def create_user(body: NewUser, user: CurrentUser, db: DB) -> Any:
    if user.role != "admin":
        raise WorkflowError(403, "forbidden", "admin only / 仅管理员")
    from huiqi.standards.uscc import InvalidCreditCode

    try:
        with db.transaction() as s:
            u = accounts.create_user(s, body.username, body.password, body.role, body.display_name, body.department,
                                     body.credit_code, actor=user.username)
            return {"id": u.id, "username": u.username, "role": u.role, "department": u.department}
    except (ValueError, InvalidCreditCode) as e:
        field = str(e).split(":", 1)[0] if ":" in str(e) else None
        raise WorkflowError(422, "invalid", str(e), field) from None


@router.get("/me", summary="当前用户 / who am I", **contract(S.MeOut, '当前用户 / the signed-in user', 401, 422, status=200),
             description="当前登录用户的用户名、角色、部门和信用代码。 / The signed-in user's name, role, department and credit code.")
def me(user: CurrentUser) -> Any:
    return {"username": user.username, "role": user.role, "department": user.department, "credit_code": user.credit_code}


# -- applications ----------------------------------------------------------------------------


class NewApplication(BaseModel):
    model_config = ConfigDict(extra="forbid")
    profile: dict
    provision_id: str = Field(pattern=r"^m\d\d\.[a-z][a-z0-9_]*$")
    event_id: str | None = Field(default=None, max_length=64)
    policy: str | None = Field(default=None, max_length=64, description="政策编号，默认为默认政策 / policy id "
                               "(GET /api/v1/policies), the default policy when omitted")


@router.post("/applications", status_code=201, summary="新建申请 / create an application (draft)",
             **contract(S.ApplicationOut, '已创建草稿 / the draft created', 401, 403, 404, 409, 413, 415, 422, status=201),
             description="企业按条款新建申请草稿；申报期外 409。带 Idempotency-Key 的重试返回首次结果。 / An enterprise creates a draft for a "
                         "provision; 409 outside its application window. A retry with the same Idempotency-Key "
                         "returns the first answer.")
def create_application(body: NewApplication, user: CurrentUser, db: DB,
                       idempotency_key: Annotated[str | None, Header()] = None) -> Any:
    def work(s):
        app = service.create(s, s.merge(user), body.profile, body.provision_id, body.event_id, policy_id=body.policy)
        return 201, app_dict(app)

    return idempotent(db, user, idempotency_key, "create", work)


@router.get("/applications", summary="申请列表（按角色）/ applications visible to me",
             **contract(list[S.ApplicationOut], '当前页的申请 / this page of applications', 401, 422, paged=True),
             description="企业看自己的，部门看本部门牵头条款的，财政和管理员看全部；?status= 筛选；分页见 limit/offset。 / Applicants see their own, "
                         "reviewers their departments' provisions, finance and admin all; filter by ?status=; paged "
                         "by limit/offset.")
def list_applications(request: Request, user: CurrentUser, db: DB, page: Paging,
                      status: Annotated[str | None, Query(max_length=20, description="按状态筛选 / only this status")] = None,
                      ) -> Any:
    where = [visible_to(user)] + ([Application.status == status] if status else [])
    with db.transaction() as s:  # counted and paged in SQL: a reviewer's year is hundreds of applications
        total = s.scalar(select(func.count()).select_from(Application).where(*where))
        rows = s.execute(select(Application).where(*where).order_by(Application.id)
                         .offset(page.offset).limit(page.limit)).scalars()
        return S.paged(request, [app_dict(a) for a in rows], page, total=total)


def visible_to(user: User):
    """``service.can_view`` as a WHERE clause, so a list is counted and paged in the database: an applicant's own
    applications, a reviewer's those of the measures their department leads (a measure is its provision's prefix,
    as ``service._lead_departments`` reads it), finance and administrators all. tests/workflow/test_pages_in_sql.py
    checks that it picks exactly the applications ``can_view`` allows, for every role."""
    from huiqi import policies
    from huiqi.workflow.states import may_review

    if user.role == "applicant":
        return Application.applicant_id == user.id
    if user.role == "reviewer":  # one policy_id test per policy, then its measures (SQLite reads one index range)
        led = {p.header.id: [m.id for m in p.measures if may_review(user.department, [d.name for d in m.lead_departments])]
               for p in policies.catalogue()}
        return or_(false(), *(and_(Application.policy_id == policy_id,
                                   or_(*(Application.provision_id.startswith(f"{m}.", autoescape=True) for m in measures)))
                              for policy_id, measures in led.items() if measures))
    return true() if user.role in ("finance", "admin") else false()


@router.get("/applications/{app_id}", summary="一项申请及其时间线 / one application with its timeline",
             **contract(S.ApplicationOut, '申请及时间线 / the application with its timeline', 401, 404, 422),
             description="无权查看的申请同样答 404（不透露是否存在）。 / An application you may not see is a 404 too (its existence is "
                         "not revealed).")
def get_application(app_id: Id, user: CurrentUser, db: DB) -> Any:
    return _run(db, lambda s: app_dict(_visible(s, user, app_id), s))


class SubmitBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: dt.date | None = None


AmountFen = fen_type()


class ApproveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount_fen: AmountFen  # a JSON integer only: true, 1e3, 1000.0, "1000" are refused naming the field
    opinion: str | None = Field(default=None, max_length=2000, description="审核意见：核定金额低于测算金额时必填 / "
                                "the written opinion, required when approving less than computed")


class DisburseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    voucher: str | None = Field(default=None, max_length=64, description="拨付凭证号 / payment voucher number")
    paid_on: dt.date | None = Field(default=None, description="拨付日期，默认今天 / date of payment, today when omitted")


class ReasonBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class PublishBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    notice_days: int = Field(default=5, ge=1, le=30)


class ObjectionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contact: str = Field(min_length=1, max_length=200)
    content: str = Field(min_length=1, max_length=5000)


def _act(db: Database, user: User, app_id: Id, fn: Callable) -> dict:
    return _run(db, _act_work(user, app_id, fn))


def _act_work(user: User, app_id: Id, fn: Callable) -> Callable:
    """The work of an action on one application, to run in a transaction (also under an Idempotency-Key)."""
    def work(s):
        _visible(s, user, app_id)
        return app_dict(fn(s, s.merge(user)), s)

    return work


@router.post("/applications/{app_id}/submit", summary="提交（冻结测算结果）/ submit",
             **contract(S.ApplicationOut, '已提交 / submitted', 401, 403, 404, 409, 413, 415, 422),
             description="申请人提交，冻结政策计算器的结果；不符合条件 409。 / The applicant submits; the engine's answer is frozen; 409 "
                         "when not eligible.")
def submit(app_id: Id, user: CurrentUser, db: DB, body: SubmitBody | None = None,
           idempotency_key: Annotated[str | None, Header()] = None) -> Any:
    as_of = body.as_of if body else None  # None: the application's policy's default date (policies.default_date)
    work = _act_work(user, app_id, lambda s, u: service.submit(s, u, app_id, as_of))
    return idempotent(db, user, idempotency_key, f"submit/{app_id}", lambda s: (200, work(s)))


@router.post("/applications/{app_id}/review", summary="开始审核 / start review",
             **contract(S.ApplicationOut, '审核中 / under review', 401, 403, 404, 409, 413, 415, 422),
             description='牵头部门开始审核。 / A reviewer of a lead department starts the review.')
def review(app_id: Id, user: CurrentUser, db: DB) -> Any:
    return _act(db, user, app_id, lambda s, u: service.start_review(s, u, app_id))


@router.post("/applications/{app_id}/approve", summary="批准（不超过测算金额）/ approve",
             **contract(S.ApplicationOut, '已批准 / approved', 401, 403, 404, 409, 413, 415, 422),
             description="核定金额（整数分）不超过测算金额，预留资金池和年度上限；资金不足 409；低于测算金额须填审核意见。 / Approves amount_fen (integer fen) "
                         "within the entitlement, reserving the pool and yearly cap; 409 when no money is left; an "
                         "opinion is required below the computed amount.")
def approve(app_id: Id, body: ApproveBody, user: CurrentUser, db: DB,
            idempotency_key: Annotated[str | None, Header()] = None) -> Any:
    work = _act_work(user, app_id, lambda s, u: service.approve(s, u, app_id, body.amount_fen, body.opinion))
    return idempotent(db, user, idempotency_key, f"approve/{app_id}", lambda s: (200, work(s)))


@router.post("/applications/{app_id}/reject", summary="不予通过 / reject with a reason",
             **contract(S.ApplicationOut, '不予通过 / rejected', 401, 403, 404, 409, 413, 415, 422),
             description='牵头部门说明理由后不予通过。 / A reviewer rejects, giving the reason.')
def reject(app_id: Id, body: ReasonBody, user: CurrentUser, db: DB) -> Any:
    return _act(db, user, app_id, lambda s, u: service.reject(s, u, app_id, body.reason))


@router.post("/applications/{app_id}/return", summary="退回补充材料 / return for more information",
             **contract(S.ApplicationOut, '已退回 / returned', 401, 403, 404, 409, 413, 415, 422),
             description='退回申请人补充材料。 / Back to the applicant for more information.')
def return_(app_id: Id, body: ReasonBody, user: CurrentUser, db: DB) -> Any:
    return _act(db, user, app_id, lambda s, u: service.return_for_more(s, u, app_id, body.reason))


@router.post("/applications/{app_id}/publish", summary="公示 / start the public notice",
             **contract(S.ApplicationOut, '公示中 / in public notice', 401, 403, 404, 409, 413, 415, 422),
             description='财政部门发布公示，公示期按工作日计。 / Finance starts the public notice, counted in working days.')
def publish(app_id: Id, user: CurrentUser, db: DB, body: PublishBody | None = None) -> Any:
    days = body.notice_days if body else 5
    return _act(db, user, app_id, lambda s, u: service.publish(s, u, app_id, days))


@router.post("/applications/{app_id}/disburse", summary="拨付 / disburse after the notice",
             **contract(S.ApplicationOut, '已拨付 / disbursed', 401, 403, 404, 409, 413, 415, 422),
             description='公示期满后拨付并结算资金池。 / After the notice, finance pays and the pool is settled.')
def disburse(app_id: Id, user: CurrentUser, db: DB, idempotency_key: Annotated[str | None, Header()] = None,
             body: DisburseBody | None = None) -> Any:
    body = body or DisburseBody()
    work = _act_work(user, app_id, lambda s, u: service.disburse(s, u, app_id, voucher=body.voucher, paid_on=body.paid_on))
    return idempotent(db, user, idempotency_key, f"disburse/{app_id}", lambda s: (200, work(s)))


@router.post("/applications/{app_id}/cancel", summary="撤销 / cancel (releases any reserved money)",
             **contract(S.ApplicationOut, '已撤销 / cancelled', 401, 403, 404, 409, 413, 415, 422),
             description='撤销申请并释放已预留的资金。 / Cancels and releases any reserved money.')
def cancel(app_id: Id, user: CurrentUser, db: DB) -> Any:
    return _act(db, user, app_id, lambda s, u: service.cancel(s, u, app_id))


@router.post("/applications/{app_id}/objections", status_code=201, summary="公示期异议（任何人）/ lodge an objection",
             **contract(S.ObjectionOut, '已登记 / lodged', 404, 409, 413, 415, 422, status=201),
             description='公示期内任何人可提出异议，无需登录。 / Anyone may object during the notice, without signing in.')
def objection(app_id: Id, body: ObjectionBody, db: DB) -> Any:
    o = _run(db, lambda s: service.object_to(s, app_id, body.contact, body.content))
    return {"objection_id": o.id}


@router.post("/applications/{app_id}/evidence", status_code=201, summary="上传证明材料 / upload evidence (PDF, PNG, JPEG ≤ 10 MB)",
             **contract(S.EvidenceOut, '已保存 / stored', 401, 403, 404, 409, 413, 415, 422, status=201),
             description="multipart 字段 file（可选字段 material：所列材料之一）：按内容识别 PDF、PNG、JPEG（其他 415），不超过 "
                         "10 MB（413），批准前可上传。 / Multipart field `file` (and optionally `material`, which listed "
                         "material it is): PDF, PNG or JPEG by content (415 otherwise), at most 10 MB (413), before "
                         "approval.",
             openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                 "type": "object", "required": ["file"], "properties": {
                     "file": {"type": "string", "format": "binary", "description": "PDF、PNG 或 JPEG / the file"},
                     "material": {"type": "string", "maxLength": 40,
                                  "description": "申报材料清单中的哪一项 / which listed material"}}}}}}})
async def upload_evidence(app_id: Id, request: Request, user: CurrentUser, db: DB) -> Any:
    from huiqi.workflow import evidence

    form = await request.form()
    upload = form.get("file")
    if upload is None or not hasattr(upload, "read"):
        raise WorkflowError(422, "invalid", "a file field named 'file' is required / 缺少文件", "file")
    data = await upload.read(evidence.MAX_BYTES + 1)

    def work(s):
        app = _visible(s, user, app_id)
        if user.role != "applicant" or app.applicant_id != user.id:
            raise service.PermissionDenied("only the applicant adds evidence / 仅申请人可上传材料")
        try:
            row = evidence.add(s, user.username, app_id, upload.filename or "file", data,
                               material=str(form.get("material") or "")[:40] or None)
        except evidence.EvidenceRejected as e:
            field = "material" if str(e).startswith("material:") else "file"
            raise WorkflowError(e.status, "evidence_rejected", str(e), field) from None
        return {"id": row.id, "sha256": row.sha256, "content_type": row.content_type, "size": row.size,
                "material": row.material}

    return _run(db, work)


class ProgressBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str = Field(pattern=r"^-?\d+(\.\d+)?$", max_length=30)
    note: str | None = Field(default=None, max_length=2000)


@router.post("/targets/{target_id}/progress", status_code=201, summary="填报目标进度 / report progress on a target",
             **contract(S.ProgressOut, '已填报 / reported', 401, 403, 404, 409, 413, 415, 422, status=201),
             description="所选政策（?policy=）的目标，由措施牵头单位或管理员填报，保留历史；由项目库计算的目标 409 computed。 / "
                         "A target of the chosen policy, reported by the measure's lead departments or an administrator, "
                         "history kept; a target computed from the project registry is a 409 `computed`.")
def report_progress(target_id: str, body: ProgressBody, user: CurrentUser, db: DB,
                    policy: Annotated[str | None, Query(max_length=64, description="政策编号，默认为默认政策 / policy id "
                                                        "(GET /api/v1/policies), the default policy when omitted")] = None,
                    ) -> Any:
    """A target of the chosen policy: its lead departments report; a target counted from that policy's
    project registry (``computed_from``) is refused."""
    from huiqi import policies
    from huiqi.delivery.targets import is_computed
    from huiqi.storage.models import TargetProgress

    try:
        chosen = policies.load(policy)
    except policies.UnknownPolicy as e:
        raise WorkflowError(404, "policy_not_found", str(e), "policy") from None
    measure = chosen.measure(target_id.split(".")[0])
    target = next((t for t in measure.targets if t.id == target_id), None) if measure else None
    if target is None:
        raise WorkflowError(404, "not_found", f"unknown target {target_id} / 未知目标")
    if not (user.role == "admin" or (user.role == "reviewer" and user.department in [d.name for d in measure.lead_departments])):
        raise WorkflowError(403, "forbidden", "only the measure's lead departments report progress / 仅牵头单位可填报")
    if is_computed(target_id, chosen):
        raise WorkflowError(409, "computed", "this target is computed from the project registry, not reported "
                                             "/ 该目标由项目库自动计算，不手工填报")

    def work(s):
        row = TargetProgress(policy_id=chosen.header.id, target_id=target_id, value=body.value,
                             note=body.note, actor_id=user.id)
        s.add(row)
        s.flush()
        audit.append(s, user.username, "target.progress", f"target/{target_id}", "ok", {"value": body.value})
        return {"id": row.id, "target_id": target_id, "value": body.value}

    return _run(db, work)


@router.get("/targets", summary="政策目标及进度（公开）/ the policy's targets with their progress history",
             **contract(list[S.TargetOut], '当前页的目标 / this page of targets', 404, 422, paged=True),
             description="所选政策的目标，各附本政策下填报的进度（公开）。 / The chosen policy's targets, each with the "
                         "progress reported under that policy (public).")
def targets(request: Request, db: DB, page: Paging, policy: Annotated[str | None, Query(max_length=64, description="政策编号，默认为默认政策 / policy id "
                                                      "(GET /api/v1/policies), the default policy when omitted")] = None,
            ) -> Any:
    """The chosen policy's targets, each with the progress reported on it under that policy only."""
    from huiqi import policies
    from huiqi.storage.models import TargetProgress

    try:
        chosen = policies.load(policy)
    except policies.UnknownPolicy as e:
        raise WorkflowError(404, "policy_not_found", str(e), "policy") from None
    with db.transaction() as s:
        history: dict[str, list] = {}
        rows = s.execute(select(TargetProgress).where(TargetProgress.policy_id == chosen.header.id)
                         .order_by(TargetProgress.id)).scalars()
        for r in rows:
            history.setdefault(r.target_id, []).append({"value": r.value, "note": r.note, "at": r.at.isoformat()})
    return S.paged(request, [{"id": t.id, "measure_id": m.id, "label_zh": t.label_zh, "label_en": t.label_en,
                              "comparison": t.comparison.value if t.comparison else None, "value": t.value,
                              "unit": t.unit, "items": t.items, "due": t.due, "progress": history.get(t.id, [])}
                             for m in chosen.measures for t in m.targets], page)


@router.get("/offers", summary="免申即享事项 / offers found for my enterprise by screening",
             **contract(list[S.OfferOut], '当前页的事项 / this page of offers', 401, 422, paged=True),
             description='screening 为本企业信用代码找到的免申即享事项。 / The offers screening found for my credit code.')
def list_offers(request: Request, user: CurrentUser, db: DB, page: Paging) -> Any:
    from huiqi.workflow import offers

    with db.transaction() as s:
        return S.paged(request, [{"id": o.id, "provision_id": o.provision_id, "event_id": o.event_id, "amount_fen": o.amount_fen,
                 "as_of": o.as_of, "status": o.status, "application_id": o.application_id}
                                 for o in offers.for_user(s, user)], page)


@router.post("/offers/{offer_id}/confirm", summary="确认免申即享事项（创建并提交申请）/ confirm an offer",
             **contract(S.ApplicationOut, '已创建并提交 / created and submitted', 401, 403, 404, 409, 413, 415, 422),
             description='确认后创建并提交申请（政策计算器再次核对）。 / Creates and submits the application; the engine checks it again.')
def confirm_offer(offer_id: Id, user: CurrentUser, db: DB, body: SubmitBody | None = None) -> Any:
    from huiqi.workflow import offers

    return _run(db, lambda s: app_dict(offers.confirm(s, s.merge(user), offer_id, body.as_of if body else None), s))


# -- money, notice, audit --------------------------------------------------------------------


@router.get("/pools", summary="资金池余额 / pool balances (finance, admin)",
             **contract(S.PoolsOut, '余额与核对 / balances and reconciliation', 401, 403, 422),
             description="各资金池总额、已预留、已结算、可用（整数分），以及账目是否平衡。 / Each pool's total, reserved, settled and available "
                         "(integer fen), and whether the ledger reconciles.")
def pools(user: CurrentUser, db: DB) -> Any:
    if user.role not in ("finance", "admin"):
        raise WorkflowError(403, "forbidden", "finance or admin only / 仅财政、管理员可查看")
    with db.transaction() as s:
        rec = ledger.reconcile(s)
    return {"pools": rec.pools, "ledger_balances": rec.ok, "problems": rec.problems}


@router.get("/notices", summary="公示名单（公开）/ the public notice list",
             **contract(S.NoticesOut, '公示名单 / the notice list', 422, paged=True),
             description="公示批次、名单（notices 按 limit/offset 分页）和审计链头。 / Notice batches, the list (`notices` paged by "
                         "limit/offset) and the audit chain's head.")
def notices(request: Request, db: DB, page: Paging) -> Any:
    from huiqi.money import format_fen
    from huiqi.workflow import notices as notice_batches

    with db.transaction() as s:  # the batches by one GROUP BY, their ids as bare columns, the list a page in SQL
        batches = notice_batches.index(s)
        ids = notice_batches.batch_ids(s)
        title_of = {i: b.title_zh for b in batches for i in ids.get(b.group, ())}
        rows = s.execute(select(Application.id, Application.credit_code, Application.provision_id,
                                Application.approved_fen, Application.status, Application.notice_from,
                                Application.notice_until, Application.disbursed_on, Application.profile_json)
                         .where(Application.status.in_(notice_batches.PUBLISHED)).order_by(Application.id)
                         .offset(page.offset).limit(page.limit)).all()
        return S.paged(request, {
            "audit_head": audit.head(s),
            "batches": [{"title_zh": b.title_zh, "title_en": b.title_en, "policy_id": b.policy_id,
                         "provision_id": b.provision_id, "year": b.year, "number": b.number,
                         "notice_from": b.notice_from, "notice_until": b.notice_until, "state": b.state,
                         "application_ids": ids.get(b.group, [])} for b in batches],
            "notices": [{"application_id": a.id, "name": json.loads(a.profile_json).get("name"),
                         "credit_code": a.credit_code, "provision_id": a.provision_id, "approved_fen": a.approved_fen,
                         "approved_display": format_fen(a.approved_fen or 0), "status": a.status,
                         "batch": title_of.get(a.id), "notice_from": a.notice_from,
                         "notice_until": a.notice_until, "disbursed_on": a.disbursed_on} for a in rows],
        }, page, total=sum(b.count for b in batches))


@router.get("/audit/head", summary="审计链头（公开）/ the audit chain head",
             **contract(S.AuditHead, '链头 / the head', 422),
             description="审计链最后的序号和哈希，及最近的签名检查点。 / The chain's last sequence number and hash, and its latest signed "
                         "checkpoint.")
def audit_head(db: DB) -> Any:
    with db.transaction() as s:
        return audit.head(s)


@router.get("/audit/verify", summary="校验审计链 / verify the audit chain (admin)",
             **contract(S.AuditVerifyOut, '校验结果 / the result', 401, 403, 422),
             description="校验哈希与签名；?checkpoints=true 同时核对库外检查点。 / Checks hashes and signatures; ?checkpoints=true also "
                         "the checkpoints kept outside the database.")
def audit_verify(user: CurrentUser, db: DB, checkpoints: bool = Query(False, description="同时核对库外签名检查点 / "
                 "also compare the signed checkpoints kept outside the database")) -> Any:
    if user.role != "admin":
        raise WorkflowError(403, "forbidden", "admin only / 仅管理员")
    with db.transaction() as s:
        v = audit.verify(s, checkpoints=checkpoints)
    return {"ok": v.ok, "entries": v.entries, "head": v.head, "first_bad": v.first_bad, "problem": v.problem,
            "unsigned": v.unsigned, "key_id": v.key_id, "checkpoints": v.checkpoints}
