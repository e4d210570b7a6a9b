"""The JSON API (OpenAPI at /docs); the web pages (:mod:`huiqi.web`) are mounted on the same app.

Routes are thin: the data comes from :mod:`huiqi.catalogue.present`, the same
views the CLI prints, so the two cannot drift. Errors are JSON of one shape:
``{"error": {"code", "message_zh", "message_en", "field"?}}``.
"""

from __future__ import annotations

import datetime as dt
import zlib
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from huiqi import __version__, clock, messages, policies
from huiqi.errors import HuiqiError, field_problems, split_bilingual
from huiqi.catalogue.present import measure_dict, policy_dict
from huiqi.catalogue.search import MAX_QUERY_LENGTH, QueryError, SearchIndex
from huiqi.api import evaluate_answer as answers
from huiqi.api import schemas as S
from huiqi.api import security_headers
from huiqi.api.limits import BodyLimitMiddleware
from huiqi.engine.evaluate import ProfileError
from huiqi.engine.evaluate import evaluate as run_evaluation
from huiqi.profile.model import profile_model
from huiqi.rules.loader import dumps_bytes


class EvaluateRequest(BaseModel):
    """政策计算请求 / an evaluation request."""

    model_config = ConfigDict(extra="forbid")
    profile: dict[str, Any] = Field(description="申请人画像，格式见 GET /api/v1/schema/profile?policy=…（含该政策自有的事项类型）"
                                    " / the applicant profile: its JSON Schema is GET /api/v1/schema/profile?policy=…")
    as_of: dt.date | None = Field(default=None, description="计算日期，默认今天；政策到期后默认到期日 / evaluation "
                                  "date: today, or the policy's last day once it has expired")
    strategy: Literal["highest_only", "top_up"] | None = Field(default=None, description="就高不重复策略")
    policy: str | None = Field(default=None, max_length=64, description="政策编号，默认为平台的默认政策 / policy id "
                               "(GET /api/v1/policies), the default policy when omitted")


PolicyParam = Annotated[str | None, Query(max_length=64, description="政策编号（见 /api/v1/policies），默认为默认政策 "
                                                                 "/ policy id, the default policy when omitted")]


class ApiError(Exception):
    def __init__(self, status: int, code: str, zh: str, en: str, field: str | None = None):
        self.status, self.code, self.zh, self.en, self.field = status, code, zh, en, field


def _error_body(code: str, zh: str, en: str, field: str | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message_zh": zh, "message_en": en}
    if field:
        err["field"] = field
    return {"error": err}


class PolicyJSON(JSONResponse):
    """JSON with exact decimals and dates, and Chinese left readable."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps_bytes(content)


def create_app(database=None) -> FastAPI:
    """The service. ``database`` (a huiqi.storage.db.Database) defaults to HUIQI_DATABASE_URL on first use."""
    from huiqi.api.routes_workflow import WorkflowError
    from huiqi.api.routes_workflow import router as workflow_router

    policy = policies.load()
    index = SearchIndex.for_policy(policy)
    app = FastAPI(
        title="huiqi 惠企 API",
        version=__version__,
        description=f"{policy.header.title_zh} — policy as code. Policy version {policy.version}.",
        default_response_class=PolicyJSON,
        docs_url=None, redoc_url=None,  # served below from our own static files: no CDN, works on an intranet
    )
    _api_docs(app)

    app.add_middleware(BodyLimitMiddleware)
    security_headers.install(app)  # CSP, nosniff, no framing, referrer policy: on every answer, a 500 too
    app.state.database = database
    _add_evaluate(app)  # first: the hot route
    app.include_router(workflow_router)
    from huiqi.api.routes_delivery import router as delivery_router  # projects, lists, ledger, voice, zones

    app.include_router(delivery_router)

    @app.exception_handler(WorkflowError)
    async def _workflow_error(_: Request, exc: WorkflowError) -> Response:
        zh, en = split_bilingual(exc.message)  # the services say '… / 中文': each language its own half
        return PolicyJSON(_error_body(exc.code, zh, en, exc.field), status_code=exc.status)

    @app.exception_handler(HuiqiError)
    async def _huiqi_error(_: Request, exc: HuiqiError) -> Response:
        return PolicyJSON({"error": exc.as_dict()}, status_code=exc.status)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> Response:
        return PolicyJSON(_error_body(exc.code, exc.zh, exc.en, exc.field), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> Response:
        # worded by the catalogue, naming each field by its question: no pydantic English reaches a person
        problems = field_problems(list(exc.errors()))
        first = problems[0]
        body = _error_body("invalid_request", messages.text("request.invalid", "zh", first=first.message("zh")),
                           messages.text("request.invalid", "en", first=first.message("en")), first.path)
        body["error"]["details"] = [p.as_dict() for p in problems[:20]]
        return PolicyJSON(body, status_code=422)

    from huiqi.web.auth import Forbidden, LoginRequired, login_redirect

    @app.exception_handler(LoginRequired)
    async def _login_required(_: Request, exc: LoginRequired) -> Response:
        return login_redirect(exc)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return _html_error(request, 403, "csrf.bad" if exc.detail == "csrf" else "error.403")

    from huiqi.web.policy_choice import NoSuchPolicy

    @app.exception_handler(NoSuchPolicy)
    async def _no_such_policy(request: Request, exc: NoSuchPolicy) -> Response:  # a page's ?policy= not served
        return _html_error(request, 404, "policies.unknown", id=str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not request.url.path.startswith("/api/") and exc.status_code in (404, 405):
            return _html_error(request, exc.status_code, "error.404")
        code = "not_found" if exc.status_code == 404 else "http_error"
        return PolicyJSON(_error_body(code, "未找到该页面" if exc.status_code == 404 else "请求失败", str(exc.detail)), status_code=exc.status_code)

    def _described(p) -> dict[str, Any]:
        body = policy_dict(p)
        body["status"] = policies.status(p, clock.today()).as_dict()
        body["default"] = policies.is_default(p)
        return body

    @app.get("/api/v1/policies", tags=["catalogue"], summary="本平台承载的政策及其状态 / the policies served, with their status",
             description="默认政策在前；status 为今日状态（未施行、施行中、已失效）。 / The default policy first; `status` is "
                         "today's (not yet, in force, expired).",
             **S.contract(list[S.PolicyOut], "当前页的政策 / this page of policies", 422, paged=True))
    def list_policies(request: Request, page: Annotated[S.Page, Depends(S.page_params)]) -> Any:
        return S.paged(request, [_described(p) for p in policies.catalogue()], page)

    @app.get("/api/v1/policy", tags=["catalogue"], summary="政策总则与版本 / general provisions and version",
             description="一项政策（?policy=，默认为默认政策）的总则、章节、版本和今日状态。 / One policy's general provisions, "
                         "chapters, version and status today (?policy=, the default policy when omitted).",
             **S.contract(S.PolicyOut, "政策 / the policy", 404, 422))
    def get_policy_info(request: Request, policy: PolicyParam = None) -> Any:
        return PolicyJSON(_described(current_policy(request, policy)))

    @app.get("/api/v1/measures", tags=["catalogue"], summary="全部措施 / all measures of a policy",
             description="按编号排列的措施全文，参数为现行值（含管理员的调整）。 / Every measure in full by number, with the "
                         "figures in force (administrators' changes included).",
             **S.contract(list[S.MeasureOut], "当前页的措施 / this page of measures", 404, 422, paged=True))
    def list_measures(request: Request, page: Annotated[S.Page, Depends(S.page_params)], policy: PolicyParam = None) -> Any:
        current = current_policy(request, policy)
        return S.paged(request, [measure_dict(current, m) for m in current.measures], page)

    @app.get("/api/v1/measures/{measure_id}", tags=["catalogue"], summary="一条措施（含管理员调整后的参数）/ one measure, "
             "with the figures as administrators changed them",
             description="编号不区分大小写；未知编号 404 并列出有效范围。 / Ids are case-insensitive; an unknown id is a 404 "
                         "naming the valid range.",
             **S.contract(S.MeasureOut, "措施 / the measure", 404, 422))
    def get_measure(request: Request,
                    measure_id: Annotated[str, Path(max_length=20, description="措施编号，如 m07")],
                    policy: PolicyParam = None) -> Any:
        current = current_policy(request, policy)
        measure = current.measure(measure_id)
        if measure is None:
            ids = f"{current.measures[0].id}–{current.measures[-1].id}"
            raise ApiError(
                404,
                "measure_not_found",
                f"未找到措施“{measure_id}”（有效编号 {ids}）",
                f"unknown measure id '{measure_id}' (valid ids are {ids})",
                "measure_id",
            )
        return PolicyJSON(measure_dict(current, measure))

    indexes: dict[str, SearchIndex] = {policy.header.id: index}

    @app.get("/api/v1/search", tags=["catalogue"], summary="搜索措施 / search measures, best first",
             description="中文（含简称、俗称）或英文关键词，相关度从高到低，最多 30 条（limit）；无结果时给出建议词。 / Chinese "
                         "(abbreviations and everyday words too) or English, best first, at most 30 (limit); "
                         "did-you-mean suggestions when nothing matches.",
             **S.contract(S.SearchOut, "搜索结果 / the hits", 404, 422))
    def search(
        request: Request,
        q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_LENGTH, description="中文或英文关键词")],
        limit: Annotated[int, Query(ge=1, le=30, description="最多返回条数，1–30 / at most this many hits, 1–30")] = 10,
        policy: PolicyParam = None,
    ) -> Any:
        current = current_policy(request, policy)
        if current.header.id not in indexes:
            indexes[current.header.id] = SearchIndex.for_policy(current)
        try:
            hits = indexes[current.header.id].search(q, limit=limit)
        except QueryError as e:
            raise ApiError(422, "invalid_query", "查询内容为空或过长", str(e), "q") from None
        return PolicyJSON({"query": q, "count": len(hits), "results": [h.as_dict() for h in hits],
                           "suggestions": list(getattr(hits, "suggestions", ()))})

    @app.get("/api/v1/schema/profile", tags=["engine"], summary="申请人画像 JSON Schema / the profile's JSON Schema",
             description="所选政策的画像格式，含其自有事项类型。 / The chosen policy's profile, with its own kinds of event.",
             **S.contract(S.JSONSchemaOut, "JSON Schema", 404, 422))
    def profile_schema(request: Request, policy: PolicyParam = None) -> Any:
        try:  # the files' policy is enough: a parameter change does not change the profile's shape
            chosen = policies.load(policy)
        except policies.UnknownPolicy as e:
            raise ApiError(404, "policy_not_found", f"未知的政策“{e.policy_id}”（可选：{'、'.join(e.known)}）",
                           f"unknown policy '{e.policy_id}' (known: {', '.join(e.known)})", "policy") from None
        return PolicyJSON(profile_model(chosen).model_json_schema())

    from huiqi.web import mount

    mount(app)
    return app



def server_app() -> FastAPI:
    """The app as ``huiqi serve`` runs it, in each worker process: :func:`create_app`, then the default policy's
    plan compiled and everything loaded frozen out of the cyclic garbage collector
    (:func:`huiqi.engine.plan.prepare`), so no full collection walks the policy in the middle of an answer.
    Not in :func:`create_app` itself: the tests build hundreds of apps in one process."""
    from huiqi.engine.plan import prepare

    app = create_app()
    prepare(policies.load())
    return app


def _add_evaluate(app: FastAPI) -> None:
    """``POST /api/v1/evaluate``, the hot route (thousands a second): registered before every other route, so a
    request reaches it without being matched against the workflow's and the pages' routes first."""

    @app.post("/api/v1/evaluate", tags=["engine"], summary="政策计算器 / evaluate a profile against every provision",
             description="默认返回精简结果：符合条件和需咨询的条款（一种语言：?lang=，否则按 Accept-Language，默认中文），"
                         "其余条款只给原因代码（explanation_key），以及合计；?detail=full 返回全部条款的完整结果（中英文、"
                         "条件、事实、参数、依据原文）。金额为整数分；画像中的金额为元（字符串或整数）。 / By default the "
                         "compact answer: the eligible and referral provisions in one language (?lang=, else "
                         "Accept-Language, else Chinese), every other provision by its reason key only, and the totals; "
                         "?detail=full gives every provision in full (both languages, conditions, facts, parameters, "
                         "citation). Amounts in integer fen; money in the profile is yuan (a string, or a whole JSON "
                         "number).",
             **S.contract(S.EvaluateOut, "测算结果（detail 指明形式）/ the evaluation (`detail` names its shape)",
                          404, 413, 415, 422))
    async def evaluate(
        body: EvaluateRequest,
        request: Request,
        detail: Annotated[Literal["compact", "full"], Query(
            description="compact（默认）：符合条件和需咨询的条款，一种语言，其余只给原因代码；full：全部条款的完整结果，"
                        "中英文 / compact (default): eligible and referral provisions in one language, the rest by "
                        "reason key; full: every provision in full, in Chinese and English")] = "compact",
        lang: Annotated[Literal["zh", "en"] | None, Query(
            description="精简结果的语言：zh 中文、en 英文；省略时按 Accept-Language，默认中文（完整结果总是中英文）/ "
                        "the compact answer's language; when omitted, Accept-Language decides, else Chinese (the "
                        "full answer is always in both)")] = None,
    ) -> Any:
        # async: the evaluation is short and CPU-bound, so it runs on the event loop instead of hopping to a
        # thread (the hop and the GIL hand-over cost more than the work); the policy is re-read from the
        # database at most every two seconds (policies.recent)
        current = current_policy(request, body.policy)
        today = clock.today()
        day = body.as_of or policies.default_date(current, today)
        try:  # the policy's profile model: the core kinds of event and its own (its events.yaml)
            profile = profile_model(current).model_validate(body.profile)
        except ValidationError as e:
            raise RequestValidationError([{**err, "loc": ("body", "profile", *err["loc"])} for err in e.errors()]) from None
        try:
            result = run_evaluation(current, profile, day, body.strategy)
        except ProfileError as e:
            field = "body.profile." + e.field.replace("[", ".").replace("]", "")
            err = _error_body("invalid_profile", f"画像数据无效：{e.zh}", e.en, field)
            err["error"]["details"] = [{"field": field, "message": e.en}]
            return PolicyJSON(err, status_code=422)
        status = _answer_status(current, day, today)
        if detail == "full":
            return _answer(request, answers.full_json(result, status), {})
        language = answers.answer_language(lang, request.headers.get("accept-language"))
        return _answer(request, answers.compact_json(result, status, language, current),
                       {"Content-Language": answers.CONTENT_LANGUAGE[language], "Vary": "Accept-Language"})


_STATUS: dict[tuple, dict[str, Any]] = {}


def _answer_status(current, day: dt.date, today: dt.date) -> dict[str, Any]:
    """:func:`policies.answer_status`, kept per (policy, date asked, today): the same few dates are asked
    thousands of times a second and the answers only read it."""
    period = current.header.general.in_force  # what the status and its note are worded from
    key = (current.header.id, period.start, period.end, day, today)
    found = _STATUS.get(key)
    if found is None:
        if len(_STATUS) > 1000:
            _STATUS.clear()
        found = _STATUS[key] = policies.answer_status(current, day, today)
    return found


GZIP_MINIMUM = 1024  # as the pages' GZipMiddleware (huiqi.web.mount)


def _answer(request: Request, body: bytes, headers: dict[str, str]) -> Response:
    """An evaluation's JSON, compressed here at level 1 when the client takes gzip: for a 60–215 kB answer that
    is about a third less CPU than the pages' middleware at level 4 (which then leaves it alone, as it leaves any
    answer with a Content-Encoding), for a 12 % larger body (60,792 B → 11,980 instead of 10,678 B)."""
    if len(body) >= GZIP_MINIMUM and "gzip" in request.headers.get("accept-encoding", ""):
        packer = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        body = packer.compress(body) + packer.flush()
        vary = headers.get("Vary")
        headers = {**headers, "Content-Encoding": "gzip", "Vary": f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"}
    return Response(body, media_type="application/json", headers=headers)


def _api_docs(app: FastAPI) -> None:
    """Swagger UI at /docs and ReDoc at /redoc with their scripts vendored in huiqi/web/static/vendor (Apache-2.0
    and MIT, licences beside them) and no web fonts: a government intranet has no public CDN."""
    from html import escape

    from fastapi.openapi.docs import get_redoc_html
    from fastapi.responses import HTMLResponse

    vendor = "/static/vendor"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> Response:
        # our own page, not FastAPI's: its inline start-up script would need 'unsafe-inline' in the CSP
        return HTMLResponse(f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(app.title)} — Swagger UI</title>
<link rel="stylesheet" href="{vendor}/swagger-ui/swagger-ui.css">
<link rel="icon" href="{vendor}/swagger-ui/favicon-32x32.png"></head>
<body><div id="swagger-ui" data-openapi-url="{escape(app.openapi_url or '')}" data-oauth2-redirect-url="/docs/oauth2-redirect"></div>
<script src="{vendor}/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script></body></html>""")

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_ui_redirect() -> Response:
        return HTMLResponse('<!doctype html><html lang="en-US"><head><title>Swagger UI: OAuth2 Redirect</title></head>'
                            '<body><script src="/static/swagger-oauth2-redirect.js"></script></body></html>')

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> Response:
        page = get_redoc_html(openapi_url=app.openapi_url, title=f"{app.title} — ReDoc",
                              redoc_js_url=f"{vendor}/redoc/redoc.standalone.js",
                              redoc_favicon_url=f"{vendor}/swagger-ui/favicon-32x32.png", with_google_fonts=False)
        # FastAPI's page declares no language; ours does, as /docs and every page (WCAG 3.1.1)
        return HTMLResponse(page.body.decode().replace("<html>", '<html lang="zh-CN">', 1))


def current_policy(request: Request, policy_id: str | None = None):
    """The policy (by id; None: the default) with the administrators' parameter changes, from
    :mod:`huiqi.policies` (re-read at most every two seconds): every route and page that shows or prices a
    figure takes it from here. An unknown id is a 404 naming the known ones."""
    from huiqi.api.routes_workflow import database

    try:
        return policies.recent(database(request), policy_id)
    except policies.UnknownPolicy as e:
        raise ApiError(404, "policy_not_found", f"未知的政策“{e.policy_id}”（可选：{'、'.join(e.known)}）",
                       f"unknown policy '{e.policy_id}' (known: {', '.join(e.known)})", "policy") from None


def _html_error(request: Request, status: int, key: str, **values: str) -> Response:
    """An error as a page (in the visitor's language) for the browser-facing paths."""
    from huiqi.web import i18n
    from huiqi.web.auth import page_user
    from huiqi.web.render import render

    try:
        page_user(request)
    except Exception:  # an error page must not fail on a broken session
        request.state.page_user, request.state.page_csrf = None, None
    return render(request, "error.html", status_code=status,
                  message=i18n.translate(key, i18n.lang_of(request), **values))
