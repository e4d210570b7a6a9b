"""我的企业: an applicant's own page — its profile, what it can claim now, 免申即享 offers to confirm,
its applications, and one application with the frozen engine answer, the timeline, evidence, submit
and cancel. Everything goes through the same services as the API (:mod:`huiqi.workflow`), each change
in one transaction; another applicant's application is a 404 (its existence is not revealed).
"""

from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from huiqi import clock, policies
from huiqi.workflow import evidence as evidence_store
from huiqi.profile.model import Profile, profile_model
from huiqi.storage.models import Application, Evidence
from huiqi.web import i18n
from huiqi.web.auth import check_csrf, database, require
from huiqi.web.pages_calculator import (bilingual, default_as_of, encode, parse_as_of, policy_period, present,
                                        run, stored_profile)
from huiqi.web.render import render

router = APIRouter(include_in_schema=False)
ROLES = ["applicant"]
SUBMITTABLE = ("draft", "returned")
CANCELLABLE = ("draft", "submitted", "returned", "under_review")  # after approval the finance office cancels

i18n.add({
    "portal.title": ("我的企业", "My enterprise"),
    "portal.profile": ("企业信息", "Enterprise profile"),
    "portal.profile_none": ("尚未保存企业信息。在政策计算器中测算并申请后，信息会保存在这里。", "No profile saved yet. It is kept here once you calculate and apply in the calculator."),
    "portal.profile_edit": ("在政策计算器中修改并重新测算", "Change it in the calculator"),
    "portal.events": ("已登记事项", "Recorded events"),
    "portal.benefits": ("现在可享受的政策", "Benefits you can claim now"),
    "portal.benefits_as_of": ("按 {day} 测算", "as of {day}"),
    "portal.offers": ("免申即享", "Offered without applying (免申即享)"),
    "portal.offers_lead": ("以下事项由部门根据登记数据主动筛出，确认后即提交申请，无需另行填报。", "Found by screening the registers: confirm and the application is submitted, nothing to fill in."),
    "portal.offers_none": ("暂无免申即享事项。", "No offers at the moment."),
    "portal.confirm": ("确认申请", "Confirm"),
    "portal.confirmed": ("已确认", "Confirmed"),
    "portal.applications": ("我的申请", "My applications"),
    "portal.applications_none": ("还没有申请。", "No applications yet."),
    "portal.col.id": ("编号", "No."),
    "portal.col.provision": ("政策条款", "Provision"),
    "portal.col.event": ("事项", "Item"),
    "portal.col.status": ("状态", "Status"),
    "portal.col.amount": ("金额", "Amount"),
    "portal.col.as_of": ("筛选日期", "Screened on"),
    "portal.col.updated": ("更新时间（北京时间）", "Updated (Beijing time)"),
    "portal.open": ("查看", "Open"),
    "portal.app_title": ("申请 #{id}", "Application #{id}"),
    "portal.back": ("返回我的企业", "Back to my enterprise"),
    "portal.entitlement": ("测算结果（提交时冻结）", "The engine's answer (frozen at submission)"),
    "portal.entitlement_version": ("政策版本 {v}；此后规则调整不影响本申请。", "Policy version {v}; later rule changes do not alter it."),
    "portal.preview": ("预计结果（提交时按计算日期重新测算并冻结）", "Expected result (recalculated and frozen on submission)"),
    "portal.approved": ("批准金额", "Approved amount"),
    "portal.notice_until": ("公示截止", "Public notice until"),
    "portal.reason": ("说明", "Reason"),
    "portal.timeline": ("办理进度", "Timeline"),
    "portal.created": ("创建", "created"),
    "portal.evidence": ("证明材料", "Evidence"),
    "portal.evidence_none": ("尚未上传材料。", "Nothing uploaded yet."),
    "portal.evidence_file": ("选择文件（PDF、PNG、JPEG，不超过 10 MB）", "Choose a file (PDF, PNG or JPEG, at most 10 MB)"),
    "portal.evidence_upload": ("上传", "Upload"),
    "portal.evidence_missing": ("请先选择要上传的文件。", "Choose a file to upload first."),
    "portal.evidence_rejected": ("材料未上传：{msg}", "Not uploaded: {msg}"),
    "portal.submit": ("提交申请", "Submit"),
    "portal.submit_as_of": ("计算日期", "Date of the claim"),
    "portal.submit_hint": ("须在政策执行期内（{start} 至 {end}）；默认 {default}。", "Must fall within the policy period ({start} to {end}); {default} by default."),
    "portal.submit_bad_date": ("计算日期须在政策执行期内（{start} 至 {end}）。", "The date must fall within the policy period ({start} to {end})."),
    "portal.cancel": ("撤销申请", "Cancel the application"),
    "portal.cancel_hint": ("撤销后不可恢复；如需再次申请，请重新创建。", "A cancellation is final; apply again to start over."),
    "portal.failed": ("操作未完成：{msg}", "Not done: {msg}"),
    "portal.done.created": ("申请已创建（草稿）。请上传证明材料后提交。", "The application is created (draft). Upload the evidence, then submit."),
    "portal.done.submitted": ("申请已提交，测算结果已冻结。", "Submitted; the engine's answer is frozen."),
    "portal.done.uploaded": ("材料已上传。", "The file is uploaded."),
    "portal.done.cancelled": ("申请已撤销。", "The application is cancelled."),
    "portal.done.confirmed": ("已确认，申请已提交。", "Confirmed; the application is submitted."),
    "portal.size": ("{kb} KB", "{kb} KB"),
})


def _provision_titles(provision_id: str, policy_id: str | None = None) -> tuple[str, str]:
    m = policies.load(policy_id).measure(provision_id.split(".")[0])
    p = m.provision(provision_id) if m else None
    return (p.title_zh, p.title_en) if p else (provision_id, provision_id)


def _done(request: Request) -> str:
    key = request.query_params.get("done", "")
    return i18n.translate(f"portal.done.{key}", i18n.lang_of(request)) if key in (
        "created", "submitted", "uploaded", "cancelled", "confirmed") else ""


def _claim_words(profile_json: str | None, event_id: str | None, policy_id: str, lang: str) -> str:
    """The claim an application or offer is for, in words (「算力支出 第2笔（…，¥…）」), never its id."""
    from huiqi.web import calculator_claims as claims

    if not event_id:
        return ""
    try:
        profile = json.loads(profile_json or "{}")
    except ValueError:
        profile = {}
    words = claims.label_in(profile, event_id, policy_id, lang)
    return "" if words == event_id else words


def _app_row(a: Application, lang: str = "zh") -> dict:
    zh, en = _provision_titles(a.provision_id, a.policy_id)
    return {"id": a.id, "policy_id": a.policy_id, "provision_id": a.provision_id, "measure_id": a.measure_id, "title_zh": zh, "title_en": en,
            "event_id": a.event_id, "event_words": _claim_words(a.profile_json, a.event_id, a.policy_id, lang),
            "status": a.status, "entitlement_fen": a.entitlement_fen, "is_cap": a.is_cap,
            "approved_fen": a.approved_fen, "updated": clock.beijing_text(a.updated_at)}


# -- the portal's home -----------------------------------------------------------------------------


def portal_page(request: Request, message: str = "") -> Response:
    from huiqi.workflow import offers

    user = require(request, ROLES)
    data = stored_profile(request, user)
    with database(request).transaction() as s:
        lang = i18n.lang_of(request)
        apps = [_app_row(a, lang) for a in s.execute(select(Application).where(Application.applicant_id == user.id)
                                               .order_by(Application.id.desc())).scalars()]
        offer_rows = []
        for o in offers.for_user(s, user):
            zh, en = _provision_titles(o.provision_id, o.policy_id)
            offer_rows.append({"id": o.id, "provision_id": o.provision_id, "measure_id": o.provision_id.split(".")[0],
                               "title_zh": zh, "title_en": en, "event_id": o.event_id, "amount_fen": o.amount_fen,
                               "event_words": _claim_words(o.profile_json, o.event_id, o.policy_id, lang),
                               "as_of": o.as_of, "status": o.status, "application_id": o.application_id})
    as_of = default_as_of()
    profile = groups = None
    profile_json = p = ""
    if data:
        try:
            profile = Profile.model_validate(data)
            policy, evaluation = run(request, profile, as_of)
            groups = present(policy, evaluation)
            profile_json = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
            p = encode(request, data)
        except (ValidationError, ValueError):
            profile = groups = None
    from huiqi.web.pages_calculator import FAMILIES, _district_name, _industry_name

    from huiqi.web import calculator_claims as claims

    events = []  # each recorded claim in words: its kind, 第n笔, its date and amount
    event_labels = {}  # the answers' cards name their claim in words too, never its id (c1)
    if data:
        from huiqi.web.pages_calculator import family_map

        event_labels = claims.event_labels(data, family_map(policy.header.id if groups else None),
                                           i18n.lang_of(request))
        for f in FAMILIES:
            for n, row in enumerate(data.get(f.name) or [], start=1):
                events.append((f, claims.label_of(f, n, row, i18n.lang_of(request)) if isinstance(row, dict) else ""))
    from huiqi.web.pages_calculator import live_applications

    return render(request, "portal/home.html", applied=live_applications(request, user), data=data, profile=profile, groups=groups, profile_json=profile_json,
                  p=p, as_of=as_of, apps=apps, offers=offer_rows, events=events, event_labels=event_labels,
                  message=message, done=_done(request),
                  district_name=_district_name(data.get("district"), i18n.lang_of(request)) if data else "",
                  industry_name=_industry_name(data.get("industry")) if data else "")


@router.get("/portal")
def portal(request: Request) -> Response:
    return portal_page(request)


@router.post("/portal/offers/{offer_id}/confirm")
async def confirm_offer(request: Request, offer_id: str) -> Response:
    offer_id = _id(offer_id)
    from huiqi.workflow import offers, service
    from huiqi.workflow.states import TransitionError

    user = require(request, ROLES)
    form = await request.form()
    check_csrf(request, form)
    lang = i18n.lang_of(request)
    try:
        with database(request).transaction() as s:
            app = offers.confirm(s, s.merge(user), offer_id, None)  # as the API: the offer's own date
            app_id = app.id
    except (service.NotFound, service.PermissionDenied, service.Refused, TransitionError, ValueError) as e:
        return portal_page(request, i18n.translate("portal.failed", lang, msg=bilingual(str(e), lang)))
    return RedirectResponse(f"/portal/applications/{app_id}?done=confirmed", status_code=303)


# -- one application -------------------------------------------------------------------------------


def _id(raw: str) -> int:
    """A page address with a number that is not one is simply not found (not a JSON validation error)."""
    if not raw.isdigit() or len(raw) > 10 or not 0 < int(raw) < 2**31:
        raise HTTPException(404)
    return int(raw)


def _own(session, user, app_id: int) -> Application:
    app = session.get(Application, app_id) if 0 < app_id < 2**31 else None
    if app is None or app.applicant_id != user.id:
        raise HTTPException(404)  # another applicant's application is not even said to exist
    return app


def application_page(request: Request, app_id: int, message: str = "", as_of_value: str = "") -> Response:
    from huiqi.workflow import service

    user = require(request, ROLES)
    with database(request).transaction() as s:
        app = _own(s, user, app_id)
        row = _app_row(app, i18n.lang_of(request))
        row.update(notice_until=app.notice_until, reason=app.reason, policy_version=app.policy_version,
                   credit_code=app.credit_code)
        entitlement = json.loads(app.entitlement_json) if app.entitlement_json else None
        profile_data = json.loads(app.profile_json)
        timeline = service.timeline(s, app.id)
        files = [{"filename": e.filename, "kind": evidence_store.kind_words(e.content_type, i18n.lang_of(request)),
                  "size": e.size, "sha256": e.sha256, "at": clock.beijing_text(e.uploaded_at), "material": e.material}
                 for e in s.execute(select(Evidence).where(Evidence.application_id == app.id).order_by(Evidence.id)).scalars()]
    preview = None
    if entitlement is None and row["status"] in SUBMITTABLE:
        try:
            model = profile_model(policies.load(row["policy_id"]))  # its policy's kinds of event too
            policy, evaluation = run(request, model.model_validate(profile_data),
                                     default_as_of(policy_id=row["policy_id"]), row["policy_id"])
            groups = present(policy, evaluation)
            every = groups["eligible"] + groups["referral"] + groups["general"] + groups["rest"]
            found = [x for x in every if x["r"].provision_id == row["provision_id"]
                     and (row["event_id"] is None or x["r"].event_id == row["event_id"])]
            preview = found[0] if len(found) == 1 else None
        except (ValidationError, ValueError):
            preview = None
    start, end = policy_period(row["policy_id"])
    default = default_as_of(policy_id=row["policy_id"])
    from huiqi.web import calculator_claims as claims
    from huiqi.web.pages_calculator import family_map

    lang = i18n.lang_of(request)  # each claim in words (「算力支出 第1笔（…）」), not its id
    event_labels = claims.event_labels(profile_data, family_map(row["policy_id"]), lang)
    event_label = claims.label_in(profile_data, row["event_id"], row["policy_id"], lang)
    return render(request, "portal/application.html", app=row, entitlement=entitlement, preview=preview,
                  event_label=event_label, event_labels=event_labels,
                  timeline=timeline, files=files, profile_name=profile_data.get("name", ""), message=message,
                  done=_done(request), start=start, end=end, default_as_of=default,
                  as_of_value=as_of_value or default.isoformat(),
                  can_submit=row["status"] in SUBMITTABLE, can_cancel=row["status"] in CANCELLABLE,
                  can_upload=row["status"] in evidence_store.ACCEPTS_IN)


@router.get("/portal/applications/{app_id}")
def application(request: Request, app_id: str) -> Response:
    require(request, ROLES)
    return application_page(request, _id(app_id))


def _fail(request: Request, app_id: int, e: Exception, **kw) -> Response:
    lang = i18n.lang_of(request)
    return application_page(request, app_id, i18n.translate("portal.failed", lang, msg=bilingual(str(e), lang)), **kw)


@router.post("/portal/applications/{app_id}/evidence")
async def upload_evidence(request: Request, app_id: str) -> Response:
    app_id = _id(app_id)
    """As ``POST /api/v1/applications/{id}/evidence``: PDF/PNG/JPEG by their first bytes, at most 10 MB."""
    from huiqi.workflow import evidence

    user = require(request, ROLES)
    form = await request.form()
    check_csrf(request, form)
    lang = i18n.lang_of(request)
    upload = form.get("file")
    if upload is None or not hasattr(upload, "read") or not (upload.filename or "").strip():
        with database(request).transaction() as s:
            _own(s, user, app_id)
        return application_page(request, app_id, i18n.translate("portal.evidence_missing", lang))
    data = await upload.read(evidence.MAX_BYTES + 1)
    try:
        with database(request).transaction() as s:
            _own(s, user, app_id)
            evidence.add(s, user.username, app_id, upload.filename or "file", data,
                         material=str(form.get("material") or "")[:40] or None)
    except evidence.EvidenceRejected as e:
        return application_page(request, app_id, i18n.translate("portal.evidence_rejected", lang, msg=bilingual(str(e), lang)))
    return RedirectResponse(f"/portal/applications/{app_id}?done=uploaded", status_code=303)


@router.post("/portal/applications/{app_id}/submit")
async def submit(request: Request, app_id: str) -> Response:
    app_id = _id(app_id)
    from huiqi.workflow import ledger, service
    from huiqi.workflow.states import TransitionError

    user = require(request, ROLES)
    form = await request.form()
    check_csrf(request, form)
    lang = i18n.lang_of(request)
    raw = str(form.get("as_of", "")).strip()[:20]
    with database(request).transaction() as s:
        policy_id = _own(s, user, app_id).policy_id
    day = parse_as_of(raw) if raw else default_as_of(policy_id=policy_id)
    start, end = policy_period(policy_id)
    if day is None or not (start <= day <= end):
        return application_page(request, app_id, i18n.translate("portal.submit_bad_date", lang, start=start, end=end),
                                as_of_value=raw)
    try:
        with database(request).transaction() as s:
            _own(s, user, app_id)
            service.submit(s, s.merge(user), app_id, day)
    except (service.NotFound, service.PermissionDenied, service.Refused, TransitionError, ledger.InsufficientFunds,
            ValueError) as e:
        return _fail(request, app_id, e, as_of_value=raw)
    return RedirectResponse(f"/portal/applications/{app_id}?done=submitted", status_code=303)


@router.post("/portal/applications/{app_id}/cancel")
async def cancel(request: Request, app_id: str) -> Response:
    app_id = _id(app_id)
    from huiqi.workflow import ledger, service
    from huiqi.workflow.states import TransitionError

    user = require(request, ROLES)
    form = await request.form()
    check_csrf(request, form)
    try:
        with database(request).transaction() as s:
            _own(s, user, app_id)
            service.cancel(s, s.merge(user), app_id)
    except (service.NotFound, service.PermissionDenied, service.Refused, TransitionError, ledger.InsufficientFunds,
            ValueError) as e:
        return _fail(request, app_id, e)
    return RedirectResponse(f"/portal/applications/{app_id}?done=cancelled", status_code=303)
