"""The API's contract: response models, the one error body, the statuses each route answers, pagination.

Why a module of its own: the routes stay thin, and the OpenAPI document (``/openapi.json``, which clients and
schemathesis read) says exactly what the routes send. The models only *describe* answers — the routes still
build their bodies from the same views as before — and tests/test_openapi_contract.py validates real answers
against this document, so a model that drifts from its route fails there, not in production.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Callable, Literal

from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

# -- examples from the policy's own data ------------------------------------------------------------


def policy_example(build: Callable[[Any], dict]) -> Callable[[dict], None]:
    """A model's example built from the default policy's data when the document is generated: the code names no
    measure, place or year (tests/test_policy_free_code.py), and the example shows what the data really holds."""

    def extra(schema: dict) -> None:
        from huiqi import policies

        schema["examples"] = [build(policies.load())]

    return extra


def span(policy) -> dict[str, Any]:
    """The policy's period (``start``, ``end``) and status today, for examples."""
    from huiqi import clock, policies

    return policies.status(policy, clock.today()).as_dict()


def lead(policy, measure=None) -> str:
    """The first lead department of ``measure`` (the policy's first measure by default)."""
    return (measure or policy.measures[0]).lead_departments[0].name


# -- the one error body ---------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    """一个字段的问题 / one field's problem (every problem of a refused body is listed)."""

    model_config = ConfigDict(extra="allow")
    field: str = Field(description="出错字段的 JSON 路径 / the field's dotted path, e.g. body.profile.credit_code")
    message: str = Field(description="问题说明（中文）/ what is wrong, in Chinese")
    code: str | None = Field(default=None, description="问题类别 / the reason's code, e.g. field.required")
    message_zh: str | None = None
    message_en: str | None = None


class ErrorInfo(BaseModel):
    """错误内容 / what went wrong, in Chinese and English."""

    code: str = Field(description="机器可读的错误代码 / machine-readable code, e.g. not_found, invalid_request")
    message_zh: str = Field(description="中文说明 / the message in Chinese")
    message_en: str = Field(description="英文说明 / the message in English")
    field: str | None = Field(default=None, description="出错的参数或字段（如有）/ the parameter or field at fault, when one is")
    details: list[ErrorDetail] | None = Field(default=None, description="422：逐项列出的字段问题 / 422: every field's problem")


class ErrorBody(BaseModel):
    """所有错误的统一格式 / the one shape of every error answer."""

    model_config = ConfigDict(json_schema_extra=policy_example(lambda p: {"error": {
        "code": "measure_not_found", "field": "measure_id",
        "message_zh": f"未找到措施“x1”（有效编号 {p.measures[0].id}–{p.measures[-1].id}）",
        "message_en": f"unknown measure id 'x1' (valid ids are {p.measures[0].id}–{p.measures[-1].id})"}}))
    error: ErrorInfo


_STATUS_TEXT = {
    401: "未登录或令牌无效 / not signed in, or the bearer token is invalid",
    403: "无权操作：角色或部门不符，或 Cookie 会话的修改请求缺少 X-CSRF-Token / not allowed: wrong role or "
         "department, or a cookie-session change without its X-CSRF-Token",
    404: "未找到（编号不存在、无权查看，或政策未设此项服务）/ not found (no such id, not visible to you, or the "
         "policy has no such service)",
    409: "与当前状态冲突（状态不允许、资金不足、相同 Idempotency-Key 的请求仍在处理）/ conflicts with the current "
         "state (a step not allowed now, no money left, a request with the same Idempotency-Key still running)",
    413: "请求体过大（JSON 超过 1,000,000 字节，上传超过 11 MB）/ the body is too large",
    415: "不支持的内容类型（JSON 接口只收 application/json；材料只收 PDF、PNG、JPEG）/ unsupported media type",
    422: "请求参数或字段有误，field 指明出错项 / a parameter or field is invalid; `field` names it",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entries of the error statuses a route can answer, all with :class:`ErrorBody`."""
    return {s: {"model": ErrorBody, "description": _STATUS_TEXT[s]} for s in statuses}


PAGE_HEADERS = {
    "X-Total-Count": {"description": "符合条件的总条数 / how many items match in all", "schema": {"type": "integer"}},
    "Link": {"description": "下一页地址（rel=\"next\"；已是最后一页时无此头）/ the next page's address, absent on the "
                            "last page", "schema": {"type": "string"}},
}


def ok(model: Any, description: str, status: int = 200, paged: bool = False) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry of a route's success answer (with the pagination headers when ``paged``)."""
    entry: dict[str, Any] = {"model": model, "description": description}
    if paged:
        entry["headers"] = PAGE_HEADERS
    return {status: entry}


def contract(model: Any, ok_text: str, *error_statuses: int, status: int = 200, paged: bool = False) -> dict[str, Any]:
    """The keyword arguments a route decorator takes: documented answers, and no runtime filtering by a
    response model (the route's own body is sent as it is; the contract test checks it matches)."""
    return {"response_model": None, "responses": {**ok(model, ok_text, status, paged), **errors(*error_statuses)}}


# -- security schemes (documentation and Swagger's Authorize; the checks stay in routes_workflow) -------

from fastapi.security import APIKeyCookie, HTTPBearer  # noqa: E402

bearer_scheme = HTTPBearer(auto_error=False, scheme_name="bearerToken",
                           description="机器客户端：POST /api/v1/auth/tokens 取得的令牌 / a token from POST /api/v1/auth/tokens")
cookie_scheme = APIKeyCookie(name="huiqi_session", auto_error=False, scheme_name="sessionCookie",
                             description="浏览器：POST /api/v1/auth/login 设置的会话 Cookie；修改请求须带 X-CSRF-Token / "
                                         "the session cookie set by sign-in; changes must send X-CSRF-Token")

# -- pagination -----------------------------------------------------------------------------------

MAX_LIMIT = 500
DEFAULT_LIMIT = 100


class Page(BaseModel):
    """limit/offset of a list: at most :data:`MAX_LIMIT` items an answer."""

    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"每页条数，1–{MAX_LIMIT}，默认 {DEFAULT_LIMIT} / items per "
                                                                  f"page, 1–{MAX_LIMIT}, default {DEFAULT_LIMIT}")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1, description="跳过的条数，默认 0 / items to skip, default 0")] = 0,
) -> Page:
    return Page(limit=limit, offset=offset)


def paged(request: Request, body: Any, page: Page, total: int | None = None, status: int = 200):
    """One page as the answer, with ``X-Total-Count`` and a ``Link rel="next"`` while more remain. ``body``: the
    whole list (``total`` None: sliced here), or the page already cut — a list or an object holding it — of
    ``total`` items."""
    from huiqi.api.app import PolicyJSON

    if total is None:
        total, body = len(body), body[page.offset:page.offset + page.limit]
    headers = {"X-Total-Count": str(total)}
    if page.offset + page.limit < total:
        nxt = request.url.include_query_params(offset=page.offset + page.limit, limit=page.limit)
        headers["Link"] = f'<{nxt.path}?{nxt.query}>; rel="next"'
    return PolicyJSON(body, status_code=status, headers=headers)


# -- catalogue and engine -------------------------------------------------------------------------

_OPEN = ConfigDict(extra="allow")


class PolicyStatus(BaseModel):
    """政策今日状态 / the policy's status today."""

    model_config = _OPEN
    code: str = Field(description="not_yet 未施行 / in_force 施行中 / expired 已失效")
    label_zh: str
    label_en: str
    on: dt.date | None = None
    start: dt.date | None = None
    end: dt.date | None = None


class PolicyOut(BaseModel):
    """一项政策的总则、章节、版本与状态 / a policy's general provisions, chapters, version and status."""

    model_config = ConfigDict(extra="allow", json_schema_extra=policy_example(lambda p: {
        "id": p.header.id, "title_zh": p.header.title_zh, "title_en": p.header.title_en, "version": p.version,
        "measure_count": len(p.measures), "provision_count": sum(1 for _ in p.provisions()), "chapters": [],
        "general": {}, "status": span(p), "default": True}))
    id: str
    title_zh: str
    title_en: str
    version: str
    measure_count: int
    provision_count: int
    chapters: list[dict[str, Any]]
    general: dict[str, Any]
    status: PolicyStatus
    default: bool


class MeasureOut(BaseModel):
    """一条措施：原文、牵头单位、条款及现行参数、资金池、目标 / a measure: its text, lead departments, provisions
    with the figures in force, budget pools and targets."""

    model_config = ConfigDict(extra="allow", json_schema_extra=policy_example(lambda p: {
        "id": p.measures[0].id, "number": p.measures[0].number, "chapter": p.measures[0].chapter,
        "title_zh": p.measures[0].title_zh, "title_en": p.measures[0].title_en, "text": "……",
        "lead_departments": [{"name": lead(p), "role": "lead"}], "provisions": [], "pools": [], "targets": [],
        "policy_version": p.version}))
    id: str
    number: int
    chapter: int
    title_zh: str
    title_en: str
    text: str
    lead_departments: list[dict[str, Any]]
    provisions: list[dict[str, Any]]
    pools: list[dict[str, Any]]
    targets: list[dict[str, Any]]
    policy_version: str


class SearchHit(BaseModel):
    model_config = _OPEN
    id: str
    score: float = Field(description="相关度（越大越相关；非金额）/ relevance, larger is better (not money)")
    title_zh: str
    title_en: str
    snippet: str
    matched_provisions: list[Any]


class SearchOut(BaseModel):
    """搜索结果，相关度从高到低 / search hits, best first."""

    model_config = ConfigDict(json_schema_extra=policy_example(lambda p: {
        "query": p.measures[0].title_zh[:4], "count": 1, "results": [
            {"id": p.measures[0].id, "score": 12.5, "title_zh": p.measures[0].title_zh,
             "title_en": p.measures[0].title_en, "snippet": "……", "matched_provisions": []}], "suggestions": []}))
    query: str
    count: int
    results: list[SearchHit]
    suggestions: list[str] = Field(description="无结果时的建议词（您是否要找）/ did-you-mean words when nothing matched")


def _evaluate_example(detail: str) -> Callable[[dict], None]:
    """An evaluate answer's example from a real evaluation of an empty enterprise profile on the policy's first
    day: the document shows what the engine really says (its keys, its words), not a hand-written imitation."""

    def build(p) -> dict:
        from huiqi import policies
        from huiqi.api import evaluate_answer
        from huiqi.engine.evaluate import evaluate
        from huiqi.profile.model import profile_model

        day = p.header.general.in_force.start
        profile = profile_model(p).model_validate({"kind": "enterprise", "name": "示例企业",
                                                   "credit_code": "91530100MA6K3YXF8W"})
        result = evaluate(p, profile, day, None)
        status = policies.answer_status(p, day)
        if detail == "full":
            answer = evaluate_answer.full(result, status)
            answer["results"] = answer["results"][:1]
        else:
            answer = evaluate_answer.compact(result, status, "zh", p)
            answer["results"], answer["others"] = answer["results"][:1], answer["others"][:2]
        return answer

    return policy_example(build)


class BenefitWords(BaseModel):
    """利益类别及其说法 / the kind of benefit, in words."""

    model_config = _OPEN
    code: str = Field(description="money 资金 / relief 减免 / loan_limit 贷款额度 / right 资格便利 / referral 咨询")
    zh: str | None = Field(default=None, description="中文说法（精简结果：lang=zh 时）/ the Chinese word (compact: lang=zh)")
    en: str | None = Field(default=None, description="英文说法（精简结果：lang=en 时）/ the English word (compact: lang=en)")


class EvaluateTotals(BaseModel):
    """合计：按措施和总体，各利益类别分开（金额为整数分）/ the totals per measure and overall, each kind of
    benefit apart (integer fen)."""

    model_config = _OPEN
    by_measure: dict[str, dict[str, int]] = Field(description="措施编号 → 各类合计 / measure id → its totals")
    overall: dict[str, int] = Field(description="paid_fen 可获资金、relief_fen 可减免税费、loan_limit_fen 可申请贷款额度、"
                                                "up_to_fen 其中为上限的部分、money_fen = paid_fen + relief_fen / the "
                                                "overall totals by kind")
    overall_display: str = Field(description="money_fen 的 ¥ 两位小数写法 / money_fen as ¥ with two decimals")
    by_benefit: list[dict[str, Any]] = Field(description="各利益类别的合计及说法（精简结果只有一种语言）/ each kind's "
                                                         "total with its words (one language in the compact answer)")


class CompactResult(BaseModel):
    """精简结果中符合条件或需咨询的一条（完整结果中同一行的部分字段，一种语言）/ an eligible or referral row of the
    compact answer: some of the full row's keys, in one language."""

    model_config = _OPEN
    provision_id: str = Field(description="条款编号 / the provision's id")
    measure_id: str = Field(description="措施编号 / the measure's id")
    event_id: str | None = Field(description="按事项计算时的事项编号，否则为空 / the event's id when the provision "
                                             "is decided per event")
    status: Literal["eligible", "referral"] = Field(description="eligible 符合条件 / referral 可能适用，请咨询牵头单位")
    kind: str = Field(description="条款类型 / the provision's kind, e.g. capped_award")
    benefit: BenefitWords
    title_zh: str | None = Field(default=None, description="条款名称（lang=zh）/ the title in Chinese")
    title_en: str | None = Field(default=None, description="条款名称（lang=en）/ the title in English")
    amount_fen: int | None = Field(description="金额（整数分），需咨询或无金额时为空 / the amount in integer fen, "
                                               "none for a referral or a right")
    amount_display: str | None = Field(description="¥ 两位小数 / ¥ with two decimals")
    is_cap: bool = Field(description="金额为上限（具体金额经审核确定）/ the amount is a ceiling, set on review")
    decision_date: dt.date = Field(description="判断所依据的日期 / the date the decision is made on")
    explanation_zh: str | None = Field(default=None, description="说明（lang=zh）/ the explanation in Chinese")
    explanation_en: str | None = Field(default=None, description="说明（lang=en）/ the explanation in English")
    explanation_key: str = Field(description="机器可读的原因，与批量筛查相同 / the machine-readable reason, as in "
                                             "the batch screen")
    lead_departments: list[str] = Field(description="牵头单位（lang=en 时为英文名称）/ the lead departments (English "
                                                    "names with lang=en)")


class OtherResult(BaseModel):
    """精简结果中其余的一条：只有原因代码 / a row the compact answer gives by its reason key only."""

    model_config = _OPEN
    provision_id: str = Field(description="条款编号 / the provision's id")
    event_id: str | None = Field(default=None, description="事项编号（按事项计算时）/ the event's id, when per event")
    status: Literal["not_eligible", "expired"] = Field(description="not_eligible 不符合 / expired 已过期")
    explanation_key: str = Field(description="原因代码，如 not_eligible:failed:<条件>；完整说明见 ?detail=full / the "
                                             "reason key, e.g. not_eligible:failed:<condition>; the words: ?detail=full")


class EvaluateCompactOut(BaseModel):
    """精简结果（默认）：符合条件和需咨询的条款（一种语言），其余条款只给原因代码，合计与完整结果相同 / the compact
    answer (the default): eligible and referral provisions in one language, every other one by its reason key,
    the same totals as the full answer."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_evaluate_example("compact"))
    detail: Literal["compact"] = Field(description="结果形式 / the answer's shape")
    lang: Literal["zh", "en"] = Field(description="文字的语言 / the language of the words")
    policy: dict[str, Any] = Field(description="政策编号与版本 / the policy's id and version")
    as_of: dt.date = Field(description="计算日期 / the evaluation date")
    strategy: str = Field(description="就高不重复策略 / the strategy used")
    profile: dict[str, Any] = Field(description="画像编号、名称与推导出的事实 / the profile's id, name and derived facts")
    totals: EvaluateTotals
    results: list[CompactResult] = Field(description="符合条件和需咨询的条款 / the eligible and referral rows")
    others: list[OtherResult] = Field(description="其余条款及原因代码 / every other row, by its reason key")
    policy_status: dict[str, Any] = Field(description="政策状态及日期说明（一种语言）/ the policy's status and the "
                                                      "note on the date, in one language")


class EvaluateFullOut(BaseModel):
    """完整结果（?detail=full）：逐条款的是否符合、金额（整数分）、条件、事实、参数、依据原文和中英文说明，以及合计
    / the full answer (?detail=full): every provision's status, amount in integer fen, conditions, facts,
    parameters, citation and explanation in Chinese and English, and the totals."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_evaluate_example("full"))
    detail: Literal["full"] = Field(description="结果形式 / the answer's shape")
    policy: dict[str, Any]
    as_of: dt.date
    strategy: str
    profile: dict[str, Any]
    totals: EvaluateTotals
    results: list[dict[str, Any]] = Field(description="全部条款（含按事项的各行），字段见 docs/engine.md / every "
                                                      "provision's rows, see docs/engine.md")
    policy_status: dict[str, Any]


EvaluateOut = Annotated[EvaluateCompactOut | EvaluateFullOut, Field(discriminator="detail")]


class JSONSchemaOut(BaseModel):
    """申请人画像的 JSON Schema（草案 2020-12）/ the applicant profile's JSON Schema."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{"title": "Profile", "type": "object",
                                                                               "properties": {}}]})


# -- workflow -------------------------------------------------------------------------------------


class UserBrief(BaseModel):
    username: str
    role: str = Field(description="applicant 企业 / reviewer 部门 / finance 财政 / admin 管理员")
    department: str | None = None


class LoginOut(BaseModel):
    """已登录：会话 Cookie 已设置 / signed in: the session cookie is set."""

    model_config = ConfigDict(json_schema_extra=policy_example(lambda p: {
        "user": {"username": "reviewer-1", "role": "reviewer", "department": lead(p)},
        "csrf_token": "y1PlCm8GiPwOKOHw5OCOFCru1jlixoOU"}))
    user: UserBrief
    csrf_token: str = Field(description="Cookie 会话的修改请求须在 X-CSRF-Token 中回传 / send back as X-CSRF-Token")


class TokenOut(BaseModel):
    """新令牌（只显示一次）/ the new token, shown once."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"token": "hq_…"}]})
    token: str


class UserCreated(UserBrief):
    """新建的用户 / the user created."""

    id: int


class MeOut(UserBrief):
    """当前用户 / the signed-in user."""

    credit_code: str | None = None


class ApplicationOut(BaseModel):
    """一项申请（金额为整数分；entitlement 为提交时冻结的测算结果）/ an application (money in integer fen;
    ``entitlement`` is the engine's answer frozen at submission)."""

    model_config = ConfigDict(extra="allow", json_schema_extra=policy_example(lambda p: {
        "id": 1, "policy_id": p.header.id, "provision_id": next(p.provisions()).id, "measure_id": p.measures[0].id,
        "event_id": "c1", "status": "approved", "credit_code": "91530100MA6K3YXF8W", "policy_version": p.version,
        "entitlement_fen": 30000000, "is_cap": True, "approved_fen": 30000000, "pool_id": None,
        "reason": None, "notice_from": None, "notice_until": None, "disbursed_on": None, "disbursement_voucher": None,
        "approved_display": "¥300,000.00", "entitlement": None}))
    id: int
    policy_id: str
    provision_id: str
    measure_id: str
    event_id: str | None = None
    status: str = Field(description="draft / submitted / under_review / returned / approved / rejected / "
                                    "public_notice / disbursed / cancelled")
    credit_code: str | None = None
    policy_version: str | None = None
    entitlement_fen: int | None = None
    is_cap: bool | None = None
    approved_fen: int | None = None
    pool_id: str | None = None
    reason: str | None = None
    notice_from: dt.date | None = None
    notice_until: dt.date | None = None
    disbursed_on: dt.date | None = None
    disbursement_voucher: str | None = None
    approved_display: str | None = Field(default=None, description="¥ 两位小数 / ¥ with two decimals")
    entitlement: dict[str, Any] | None = None
    timeline: list[dict[str, Any]] | None = Field(default=None, description="状态变更记录（单项查询与操作后返回）/ the "
                                                                            "state changes (on one application)")


class ObjectionOut(BaseModel):
    """已登记的异议 / the objection lodged."""

    objection_id: int


class EvidenceOut(BaseModel):
    """已保存的证明材料 / the stored evidence file."""

    id: int
    sha256: str
    content_type: str
    size: int
    material: str | None = Field(default=None, description="申报材料清单中的哪一项 / which listed material")


class ProgressOut(BaseModel):
    """已填报的目标进度 / the progress reported."""

    id: int
    target_id: str
    value: str


class TargetOut(BaseModel):
    """政策目标及进度记录 / a target with its progress history."""

    model_config = _OPEN
    id: str
    measure_id: str
    label_zh: str
    label_en: str
    comparison: str | None = None
    value: Annotated[Any, WithJsonSchema({"type": ["number", "string", "null"], "description": "目标值（精确小数，非金额）"
                                                                              " / the goal, an exact decimal"})] = None
    unit: str | None = None
    items: list[Any] | None = None
    due: dt.date | str | None = None
    progress: list[dict[str, Any]]


class OfferOut(BaseModel):
    """免申即享事项 / an offer found by screening."""

    id: int
    provision_id: str
    event_id: str | None = None
    amount_fen: int | None = None
    as_of: dt.date | None = None
    status: str
    application_id: int | None = None


class PoolsOut(BaseModel):
    """资金池余额与账目核对 / pool balances and whether the ledger reconciles."""

    model_config = _OPEN
    pools: list[dict[str, Any]]
    ledger_balances: bool
    problems: list[Any]


class AuditHead(BaseModel):
    """审计链头及最近的签名检查点 / the audit chain's head and its latest signed checkpoint."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{"seq": 42, "hash": "9f…", "checkpoint": None}]})
    seq: int
    hash: str
    checkpoint: dict[str, Any] | None = None


class NoticesOut(BaseModel):
    """公示名单（notices 分页）/ the public notice list (``notices`` is paginated)."""

    model_config = _OPEN
    audit_head: AuditHead
    batches: list[dict[str, Any]]
    notices: list[dict[str, Any]]


class AuditVerifyOut(BaseModel):
    """审计链校验结果 / the audit chain checked."""

    model_config = _OPEN
    ok: bool
    entries: int
    head: str | None = None
    first_bad: int | None = None
    problem: str | None = None
    unsigned: int | None = None
    key_id: str | None = None
    checkpoints: Any = None
