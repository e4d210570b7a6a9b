"""The reviewer's workspace (审核工作台) and the finance office's queue, on the same URL.

A reviewer sees the applications of the provisions their department leads, waiting ones first;
opening one shows it beside the engine's frozen computation, the evidence, the pool's balance, the
enterprise's yearly cap and the timeline, with the actions its status allows. Finance sees approved
applications to publish (公示) and notices that have ended, to disburse. Every action is a POST form
with the session's CSRF token; a refusal (above the entitlement, no money left, the cap reached, the
status changed meanwhile) shows the page again with a message and stores nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import and_, or_, select

from huiqi import clock, policies
from huiqi.money import format_fen, to_fen
from huiqi.storage.models import Application, ApplicationEvent, EntityCap, Evidence, Objection, Pool, User
from huiqi.web import files, i18n
from huiqi.web.auth import Forbidden, LoginRequired, check_csrf, database, page_user, require
from huiqi.web.render import render
from huiqi.workflow import ledger, service
from huiqi.workflow.states import TransitionError

router = APIRouter(include_in_schema=False)

ROLES = ("reviewer", "finance")
WAITING = ("submitted", "under_review", "returned")
DECIDED = ("approved", "rejected", "public_notice", "disbursed", "cancelled")
RECENT_LIMIT = 30
MAX_NOTICE_DAYS = 30

i18n.add({
    "review.title": ("审核工作台", "Review"),
    "review.finance_title": ("财政工作台：公示与拨付", "Finance: public notice and payment"),
    "review.dept": ("本部门：{dept}", "Department: {dept}"),
    "review.waiting": ("待审核", "Waiting"),
    "review.recent": ("最近办结", "Recently decided"),
    "review.none_waiting": ("暂无待审核的申请", "Nothing is waiting"),
    "review.none_recent": ("暂无最近办结的申请", "Nothing decided recently"),
    "review.col.id": ("编号", "No."),
    "review.col.applicant": ("申请人", "Applicant"),
    "review.col.credit_code": ("统一社会信用代码", "Credit code"),
    "review.col.provision": ("政策条款", "Provision"),
    "review.col.amount": ("测算金额", "Computed"),
    "review.col.approved": ("批准金额", "Approved"),
    "review.col.submitted": ("提交日期", "Submitted"),
    "review.col.status": ("状态", "Status"),
    "review.col.notice_until": ("公示截止", "Notice ends"),
    "review.col.action": ("操作", "Action"),
    "review.open": ("查看", "Open"),
    "review.to_publish": ("待公示（已批准）", "Approved: to publish"),
    "review.col.decided": ("办结日期", "Decided on"),
    "review.pool_used_up": ("专项资金已用完", "Fund used up"),
    "review.in_notice": ("公示中及待拨付", "In public notice or to pay"),
    "review.none_publish": ("暂无待公示的申请", "Nothing to publish"),
    "review.none_notice": ("暂无公示中的申请", "Nothing in public notice"),
    "review.notice_days": ("公示期（工作日）", "Notice (working days)"),
    "review.notice_days_for": ("第 {id} 号申请的公示期（工作日）", "Notice for application {id} (working days)"),
    "review.publish": ("公示", "Publish"),
    "review.disburse": ("拨付", "Disburse"),
    "review.notice_running": ("公示至 {date}", "Notice runs until {date}"),
    "review.notice_ended": ("公示期已满", "Notice ended"),
    "review.app_title": ("第 {id} 号申请", "Application {id}"),
    "review.application": ("申请内容", "The application"),
    "review.computation": ("系统测算结果（以提交时为准）", "The computation (as at submission)"),
    "review.amount": ("测算金额", "Computed amount"),
    "review.cap_mark": ("最高限额", "Ceiling (up to)"),
    "review.explanation": ("计算说明", "Explanation"),
    "review.parameters": ("适用的政策标准", "The policy's figures used"),
    "review.facts": ("测算依据的申报信息", "Facts it used"),
    "review.conditions": ("条件", "Conditions"),
    "review.cond_ok": ("满足", "Met"),
    "review.cond_bad": ("不满足", "Not met"),
    "review.cond_unknown": ("待核实", "To check"),
    "review.citation": ("政策原文依据", "The sentence that grants it"),
    "review.policy_version": ("政策版本", "Policy version"),
    "review.decision_date": ("计算日期", "Dated"),
    "review.not_submitted": ("尚未提交，暂无测算结果", "Not submitted yet: no computation"),
    "review.field": ("项目", "Field"),
    "review.value": ("内容", "Value"),
    "review.event": ("申报事项明细", "The claim in detail"),
    "review.pool": ("专项资金", "Dedicated fund"),
    "review.pool_total": ("总额", "Total"),
    "review.pool_reserved": ("已预留", "Reserved"),
    "review.pool_settled": ("已拨付", "Paid"),
    "review.pool_available": ("可用余额", "Available"),
    "review.no_pool": ("本条款未设专项资金", "This provision draws on no dedicated fund"),
    "review.cap": ("企业年度上限（{year}年）", "The enterprise's yearly cap ({year})"),
    "review.cap_total": ("上限", "Cap"),
    "review.cap_used": ("已使用", "Used"),
    "review.cap_left": ("剩余", "Left"),
    "review.evidence": ("证明材料", "Evidence"),
    "review.no_evidence": ("申请人尚未上传证明材料", "The applicant has uploaded no evidence"),
    "review.file": ("文件名", "File"),
    "review.size": ("大小", "Size"),
    "review.download": ("下载", "Download"),
    "review.timeline": ("办理记录", "Timeline"),
    "review.time": ("时间（北京时间）", "Time (Beijing)"),
    "review.change": ("状态变化", "Change"),
    "review.note": ("备注", "Note"),
    "review.objections": ("公示异议", "Objections"),
    "review.contact": ("联系方式", "Contact"),
    "review.content": ("异议内容", "Objection"),
    "review.actions": ("办理", "Actions"),
    "review.no_actions": ("该申请当前无需您办理", "Nothing for you to do at this stage"),
    "review.start": ("开始审核", "Start review"),
    "review.approve": ("批准", "Approve"),
    "review.approve_amount": ("批准金额（元）", "Amount to approve (yuan)"),
    "review.approve_hint": ("不超过测算金额 {amount}，精确到分", "At most the computed {amount}, to the fen"),
    "review.reject": ("不予通过", "Reject"),
    "review.reject_upheld": ("异议成立，不予通过", "Objection upheld: reject"),
    "review.return": ("退回补充材料", "Return for more information"),
    "review.reason_reject": ("不予通过的理由", "Reason for rejecting"),
    "review.reason_return": ("需补充的材料或说明", "What is missing"),
    "review.err.reason": ("{field}：请填写理由", "{field}: a reason is required"),
    "review.err.amount_empty": ("{field}：请填写金额", "{field}: enter an amount"),
    "review.err.amount_bad": ("{field}：“{value}”不是有效金额（如 90000.00）", "{field}: '{value}' is not an amount (e.g. 90000.00)"),
    "review.err.amount_subfen": ("{field}：金额最多精确到分（两位小数）", "{field}: at most two decimals (whole fen)"),
    "review.err.amount_positive": ("{field}：金额须大于零", "{field}: the amount must be above zero"),
    "review.err.amount_over": ("{field}：{amount} 超过测算金额 {entitlement}，不能批准", "{field}: {amount} is above the computed {entitlement}; not approved"),
    "review.err.no_figure": ("原文未规定金额，须先确定数额才能批准", "The text states no figure; one must be set before approval"),
    "review.err.funds": ("{amount} 超过专项资金可用余额 {left}，不能批准", "{amount} is more than the fund has left ({left}); not approved"),
    "review.err.cap": ("{amount} 超过该企业本年度剩余上限 {left}，不能批准", "{amount} is more than is left of the enterprise's yearly cap ({left}); not approved"),
    "review.err.changed": ("未能办理：{detail}。申请可能已被他人处理，页面已显示最新状态", "Not done: {detail}. Someone may have acted on it meanwhile; the page shows its current status"),
    "review.err.refused": ("未能办理：{detail}", "Not done: {detail}"),
    "review.err.notice_days": ("{field}：请填写 1–{max} 的整数", "{field}: a whole number from 1 to {max}"),
    "review.err.notice_running": ("公示期至 {date} 未满，暂不能拨付", "The notice runs until {date}; it cannot be paid yet"),
    "review.done.start_review": ("已开始审核", "Review started"),
    "review.done.approve": ("已批准 {amount}", "Approved {amount}"),
    "review.done.approve_pool": ("已批准 {amount}，已从专项资金中预留", "Approved {amount}; reserved from the fund"),
    "review.opinion": ("审核意见", "Review opinion"),
    "review.opinion_hint": ("核定金额低于测算金额时必填，写明核减理由；将记入办理记录并告知申请人",
                            "Required when approving less than computed: say why. It goes into the record and to the applicant"),
    "review.err.opinion": ("{field}：核定金额低于测算金额，须写明理由", "{field}: approving less than computed needs the reason"),
    "review.disburse_open": ("办理拨付", "Pay…"),
    "review.voucher": ("拨付凭证号", "Payment voucher no."),
    "review.voucher_hint": ("财政国库集中支付凭证编号", "The treasury's payment voucher number"),
    "review.paid_on": ("拨付日期", "Date of payment"),
    "review.confirm_pay": ("已核对收款单位、账户和金额，确认拨付 {amount}", "I have checked the payee, account and amount: pay {amount}"),
    "review.err.voucher": ("{field}：请填写", "{field}: required"),
    "review.err.voucher_long": ("{field}：最多64个字符", "{field}: at most 64 characters"),
    "review.err.paid_on": ("{field}：日期无效（格式如 2025-10-15）", "{field}: not a valid date (like 2025-10-15)"),
    "review.err.confirm": ("请勾选确认后再拨付", "Tick the confirmation before paying"),
    "review.done.reject": ("已作出不予通过决定", "Rejected"),
    "review.done.return": ("已退回申请人补充材料", "Returned to the applicant"),
    "review.done.publish": ("已公示，公示至 {date}", "Published; the notice runs until {date}"),
    "review.done.publish_batch": ("已公示 {count} 项，公示至 {date}", "Published {count}; the notice runs until {date}"),
    "review.batch.legend": ("按批次公示", "Publish as one batch"),
    "review.batch.hint": ("勾选下表中的申请（默认全部），以同一公示期一并公示；各项仍按所属条款分批列入公示名单。",
                          "Tick the applications below (all by default) to publish them with one notice period; "
                          "the public notice still lists them in batches by provision."),
    "review.batch.pick": ("一并公示第 {id} 号申请", "Publish application {id} in the batch"),
    "review.batch.submit": ("公示所选", "Publish the ticked ones"),
    "review.col.pick": ("选择", "Pick"),
    "review.err.batch_none": ("未勾选任何申请", "No application is ticked"),
    "review.err.batch_some": ("已公示 {count} 项；以下申请未能公示：{failed}", "Published {count}; these could not be: {failed}"),
    "review.done.disburse": ("已拨付 {amount}", "Paid {amount}"),
    "review.back": ("返回工作台", "Back to the queue"),
    "review.not_found": ("未找到第 {id} 号申请", "Application {id} not found"),
    "review.claim_of": ("{family} · 编号 {id}", "{family} · no. {id}"),
    "review.claimed": ("申报事项", "Claim"),
    "review.measure_no": ("第{no}条", "Measure {no}:"),
})


# -- helpers -------------------------------------------------------------------------------------


def _policy(s, policy_id: str | None = None):
    return policies.effective(s, policy_id)


def _provision(policy, app: Application):
    m = policy.measure(app.measure_id)
    return m, (m.provision(app.provision_id) if m else None)


def _name(app: Application) -> str:
    try:
        return json.loads(app.profile_json).get("name") or ""
    except (TypeError, ValueError):
        return ""


def _bilingual(message: str, lang: str) -> str:
    """The service's messages are 'English / 中文': the visitor's half."""
    if " / " not in message:
        return message
    en, zh = message.rsplit(" / ", 1)
    return en if lang == "en" else zh


def _submitted_dates(s, ids: list[int]) -> dict[int, dt.datetime]:
    out: dict[int, dt.datetime] = {}
    if not ids:
        return out
    rows = s.execute(select(ApplicationEvent.application_id, ApplicationEvent.at)
                     .where(ApplicationEvent.application_id.in_(ids), ApplicationEvent.to_status == "submitted")
                     .order_by(ApplicationEvent.id)).all()
    for app_id, at in rows:
        out[app_id] = _local(at)  # the latest submission wins
    return out


def _row(app: Application, policy, submitted: dict[int, dt.datetime]) -> dict[str, Any]:
    m, p = _provision(policy, app)
    return {"id": app.id, "name": _name(app), "credit_code": app.credit_code, "status": app.status,
            "provision_zh": p.title_zh if p else app.provision_id, "provision_en": p.title_en if p else app.provision_id,
            "measure_no": m.number if m else None, "entitlement_fen": app.entitlement_fen, "is_cap": app.is_cap,
            "approved_fen": app.approved_fen, "submitted": submitted.get(app.id), "notice_until": app.notice_until,
            "updated": app.updated_at, "decided": _local(app.updated_at) if app.updated_at else None}


def _my_measures(policy, department: str | None) -> list[str]:
    return [m.id for m in policy.measures if department and department in [d.name for d in m.lead_departments]]


def _queue_context(s, user: User, today: dt.date) -> dict[str, Any]:
    policy = _policy(s)
    if user.role == "reviewer":  # the measures the department leads, in every policy served
        mine = [and_(Application.policy_id == p.header.id, Application.measure_id.in_(_my_measures(p, user.department)))
                for p in policies.catalogue()]
        # what waits, all of it; of what was decided only the latest (a year holds a thousand and more of them)
        waiting = [a for a in s.execute(select(Application).where(or_(*mine), Application.status.in_(WAITING))
                                        .order_by(Application.id)).scalars() if service.can_view(user, a)]
        recent = [a for a in s.execute(select(Application).where(or_(*mine), Application.status.in_(DECIDED))
                                       .order_by(Application.updated_at.desc(), Application.id.desc())
                                       .limit(RECENT_LIMIT)).scalars() if service.can_view(user, a)]
        submitted = _submitted_dates(s, [a.id for a in waiting + recent])
        order = {st: i for i, st in enumerate(WAITING)}
        waiting.sort(key=lambda a: (order[a.status], a.id))
        used_up = {p.id for p in s.execute(select(Pool)).scalars() if p.total_fen - p.reserved_fen - p.settled_fen <= 0}
        rows = [_row(a, policy, submitted) for a in waiting]
        for r, a in zip(rows, waiting):
            r["pool_used_up"] = a.pool_id in used_up  # the reviewer sees it before opening: approval will be refused
        return {"waiting": rows, "recent": [_row(a, policy, submitted) for a in recent]}
    apps = s.execute(select(Application).where(Application.status.in_(("approved", "public_notice")))
                     .order_by(Application.id)).scalars().all()
    submitted = _submitted_dates(s, [a.id for a in apps])
    to_publish = [_row(a, policy, submitted) for a in apps if a.status == "approved"]
    in_notice = [_row(a, policy, submitted) for a in apps if a.status == "public_notice"]
    for r in in_notice:
        r["ended"] = r["notice_until"] is None or today > r["notice_until"]
    in_notice.sort(key=lambda r: (not r["ended"], r["notice_until"] or today, r["id"]))
    done = s.execute(select(Application).where(Application.status == "disbursed")
                     .order_by(Application.updated_at.desc()).limit(RECENT_LIMIT)).scalars().all()
    return {"to_publish": to_publish, "in_notice": in_notice,
            "recent": [_row(a, policy, _submitted_dates(s, [a.id for a in done])) for a in done]}


def _event_of(profile: dict, event_id: str | None) -> tuple[str, dict] | None:
    """The record the application claims (a compute claim, a purchase …) and the list it is in, by its id."""
    if not event_id:
        return None
    for name, value in profile.items():
        if isinstance(value, list):
            for item in value:
                if isinstance(item, dict) and str(item.get("id")) == event_id:
                    return name, item
    return None


def _fact(key: str, value: Any, lang: str) -> tuple[str, str]:
    """A fact (``entity.size_class``, ``event.spend``) as a person reads it: the explanations' words for it and
    its value (:mod:`huiqi.engine.explain`: choices in words, money as ¥, rates as %), the applicant's codes in
    words — its kind, size class (the SME standard's words), district and industry."""
    from huiqi.engine import explain
    from huiqi.profile.questions import ENTITY_FACTS
    from huiqi.standards import industries, sme_size
    from huiqi.standards.divisions import lookup_district

    ns, _, name = key.partition(".")
    # a standing fact a policy's kind declares has its words with that kind
    label = explain._label(key if ns != "entity" or name in ENTITY_FACTS else f"event.{name}", lang)
    label = label[:1].upper() + label[1:]  # a row heading (English words come lower-case, for sentences)
    if ns == "entity" and value not in (None, ""):
        text = str(value)
        if name == "kind":
            words = f"calc.kind.{text}"
            return label, i18n.translate(words, lang) if words in i18n.MESSAGES else explain.CLAIMANT_ZH.get(text, text)
        if name == "size_class" and text in {c.value for c in sme_size.SizeClass}:
            zh = sme_size.SizeClass(text).name_zh
            return label, zh if lang == "zh" else i18n.translate(f"calc.size.{text}", "en")
        if name == "district":
            district = lookup_district(text)
            return label, district.words(lang) if district else text
        if name == "industry":
            try:
                node = industries.lookup(text)
            except ValueError:
                node = None
            return label, f"{text} {node.name_zh}" if node is not None and lang == "zh" else text
    if explain._unit(key) in ("money", "ratio") and isinstance(value, str):
        try:
            value = Decimal(value)
        except ArithmeticError:
            pass
    return label, explain._value(key, value, lang)


def _claim(profile: dict, event_id: str | None, lang: str) -> dict[str, Any] | None:
    """The claimed record: what kind of record it is (its family's name), its id, and its fields in words."""
    from huiqi.profile import questions

    found = _event_of(profile, event_id)
    if found is None:
        return None
    list_name, item = found
    family = questions.family_named(list_name)
    words = (family.zh if lang == "zh" else family.en) if family else questions.subject_words(list_name)[lang == "en"]
    return {"title": i18n.translate("review.claim_of", lang, family=words, id=event_id),
            "rows": [_fact(f"event.{k}", v, lang) for k, v in item.items() if k != "id"]}


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return "—" if value is None else str(value)


def _local(at: dt.datetime | None) -> dt.datetime | None:
    """A stored time (UTC) in Beijing time, for showing (:func:`huiqi.clock.beijing`)."""
    return None if at is None else clock.beijing(at)


def _parameter_rows(provision, ent: dict | None) -> list[dict[str, str]]:
    """The frozen parameters with the policy's labels and units (30%, ¥500,000.00) where known."""
    from huiqi.catalogue.present import display_value

    rows = []
    for name, value in ((ent or {}).get("parameters") or {}).items():
        param = provision.parameters.get(name) if provision is not None else None
        shown = _show(value)
        if param is not None and value is not None:
            try:
                v = Decimal(str(value)) if isinstance(value, (int, float, str)) and param.unit.value != "date" else value
                shown = display_value(param, dt.date.fromisoformat(v) if param.unit.value == "date" else v)
            except (ValueError, TypeError, ArithmeticError, AttributeError):
                shown = _show(value)
        rows.append({"name": name, "zh": param.label_zh if param else name, "en": param.label_en if param else name,
                     "value": shown})
    return rows


def _detail_context(s, user: User, app: Application, lang: str = "zh") -> dict[str, Any]:
    policy = _policy(s, app.policy_id)
    measure, provision = _provision(policy, app)
    try:
        profile = json.loads(app.profile_json) or {}
    except (TypeError, ValueError):
        profile = {}
    ent = json.loads(app.entitlement_json) if app.entitlement_json else None
    pool = s.get(Pool, app.pool_id) if app.pool_id else None
    pool_view = None
    if pool is not None:
        pool_def = next((p for key, p in policies.pools_of(policy) if key == pool.id), None)
        pool_view = {"id": pool.id, "name_zh": pool.name_zh, "name_en": pool_def.name_en if pool_def else pool.name_zh,
                     "total": pool.total_fen, "reserved": pool.reserved_fen, "settled": pool.settled_fen,
                     "available": pool.total_fen - pool.reserved_fen - pool.settled_fen}
    cap_view = None
    if provision is not None and provision.cap_period == "per_year" and app.credit_code and "cap" in provision.parameters:
        year = app.cap_year or (dt.date.fromisoformat(ent["decision_date"]).year if ent and ent.get("decision_date")
                                else clock.today().year)
        row = s.get(EntityCap, (app.credit_code, policies.cap_key(app.policy_id, app.provision_id), year))
        if row is not None:
            cap_fen, used = row.cap_fen, row.used_fen
        else:
            param = provision.parameters["cap"]
            value = param.value_on(dt.date(year, 12, 31)) or param.values[-1].value
            cap_fen, used = to_fen(Decimal(str(value))), 0
        cap_view = {"year": year, "cap": cap_fen, "used": used, "left": cap_fen - used}
    evidence = s.execute(select(Evidence).where(Evidence.application_id == app.id).order_by(Evidence.id)).scalars().all()
    objections = s.execute(select(Objection).where(Objection.application_id == app.id).order_by(Objection.id)).scalars().all()
    timeline = service.timeline(s, app.id)
    for e in timeline:
        e["at_text"] = _local(dt.datetime.fromisoformat(e["at"])).strftime("%Y-%m-%d %H:%M")
    submitted = _submitted_dates(s, [app.id]).get(app.id)
    scalars = [_fact(f"entity.{k}", v, lang) for k, v in profile.items() if not isinstance(v, (list, dict))]
    may_act = service.can_view(user, app) and user.role in ROLES
    return {
        "app": app, "name": profile.get("name") or "", "profile_rows": scalars, "claim": _claim(profile, app.event_id, lang),
        "facts": [_fact(k, v, lang) for k, v in ((ent or {}).get("facts") or {}).items()],
        "measure": measure, "provision": provision, "ent": ent, "pool": pool_view, "cap": cap_view,
        "evidence": evidence, "objections": objections, "timeline": timeline, "submitted": submitted,
        "may_act": may_act, "parameters": _parameter_rows(provision, ent),
        "objection_times": {o.id: _local(o.at).strftime("%Y-%m-%d %H:%M") for o in objections}, "today": clock.today(),
        "entitlement_yuan": (f"{Decimal(app.entitlement_fen) / 100:.2f}" if app.entitlement_fen is not None else ""),
        "max_notice_days": MAX_NOTICE_DAYS,
    }


def _load_visible(s, user: User, app_id: int) -> Application:
    app = s.get(Application, app_id)
    if app is None:
        raise service.NotFound(str(app_id))
    if not service.can_view(user, app):
        raise Forbidden(f"{user.username} may not see application {app_id}")
    return app


def _not_found(request: Request, app_id: int) -> Response:
    lang = i18n.lang_of(request)
    return render(request, "error.html", status_code=404, message=i18n.translate("review.not_found", lang, id=app_id))


# -- pages ---------------------------------------------------------------------------------------


@router.get("/review")
def queue(request: Request, done: str | None = None, amount: str | None = None, until: str | None = None,
          app: int | None = None, count: int | None = None) -> Response:
    user = require(request, ROLES)
    with database(request).transaction() as s:
        ctx = _queue_context(s, user, clock.today())
    return render(request, "review/queue.html", **ctx, message=_done_message(request, done, amount, until, app, count),
                  error=None, form={})


@router.post("/review/publish")
async def publish_batch(request: Request) -> Response:
    """Finance publishes the ticked approved applications with one notice period (a week's 公示 is one act,
    not one click per application). Each goes through :func:`service.publish` in its own transaction, so one
    that changed meanwhile is named and the others are published."""
    user = require(request, ROLES)
    form = await request.form()
    check_csrf(request, form)
    lang = i18n.lang_of(request)
    raw = str(form.get("notice_days", "5")).strip() or "5"
    ids = [int(v) for v in form.getlist("app_id") if isinstance(v, str) and v.isdigit() and 1 <= int(v) <= 2**31 - 1]
    db = database(request)
    today = clock.today()
    error: str | None = None
    done, failed, until = 0, [], ""
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_NOTICE_DAYS:
        error = i18n.translate("review.err.notice_days", lang, field=i18n.translate("review.notice_days", lang),
                               max=MAX_NOTICE_DAYS)
    elif not ids:
        error = i18n.translate("review.err.batch_none", lang)
    else:
        for app_id in dict.fromkeys(ids):
            try:
                with db.transaction() as s:
                    _load_visible(s, user, app_id)
                    app = service.publish(s, s.merge(user), app_id, int(raw), today=today)
                    until = app.notice_until.isoformat() if app.notice_until else until
                done += 1
            except service.PermissionDenied as e:
                raise Forbidden(str(e)) from None
            except (service.NotFound, TransitionError, service.Refused):
                failed.append(f"#{app_id}")
        if failed:
            error = i18n.translate("review.err.batch_some", lang, count=done, failed="、".join(failed) if lang == "zh"
                                   else ", ".join(failed))
    if error is not None:
        with db.transaction() as s:
            ctx = _queue_context(s, user, today)
        values = {"notice_days": raw[:10]}
        return render(request, "review/queue.html", **ctx, message=None, error=error, form=values, error_app=None)
    return RedirectResponse(f"/review?done=publish_batch&count={done}&until={until}", status_code=303)


@router.get("/review/{app_id}")
def detail(request: Request, app_id: int, done: str | None = None, amount: str | None = None,
           until: str | None = None) -> Response:
    user = require(request, ROLES)
    if not 1 <= app_id <= 2**31 - 1:
        return _not_found(request, app_id)
    with database(request).transaction() as s:
        try:
            app = _load_visible(s, user, app_id)
        except service.NotFound:
            return _not_found(request, app_id)
        ctx = _detail_context(s, user, app, i18n.lang_of(request))
        html = render(request, "review/detail.html", **ctx, message=_done_message(request, done, amount, until),
                      error=None, form={})
    return html


@router.get("/review/{app_id}/evidence/{evidence_id}")
def evidence_file(request: Request, app_id: int, evidence_id: int) -> Response:
    """The stored file, only to someone who may see the application (the applicant, its reviewers, finance, admin)."""
    from huiqi.workflow import evidence as store

    user = page_user(request)
    if user is None:
        raise LoginRequired(request.url.path)
    if not (1 <= app_id <= 2**31 - 1 and 1 <= evidence_id <= 2**31 - 1):
        return _not_found(request, app_id)
    with database(request).transaction() as s:
        try:
            _load_visible(s, user, app_id)
        except service.NotFound:
            return _not_found(request, app_id)
        row = s.get(Evidence, evidence_id)
        if row is None or row.application_id != app_id:
            return _not_found(request, app_id)
        sha, filename, content_type = row.sha256, row.filename, row.content_type
    path = store.path_of(sha)
    if not path.is_file():
        return _not_found(request, app_id)
    return files.evidence(path, filename, content_type)


class _Invalid(Exception):
    def __init__(self, message: str):
        self.message = message


def _parse_amount(raw: str, lang: str) -> int:
    """The approve form's amount in yuan, through the one strict money parser (huiqi.parse.money)."""
    from huiqi.parse.money import MoneyError, yuan_to_fen

    field = i18n.translate("review.approve_amount", lang)
    try:
        return yuan_to_fen(raw, "amount", positive=True)
    except MoneyError as e:
        raise _Invalid(f"{field}{'：' if lang == 'zh' else ': '}{e.message(lang)}") from None


def _payment(values: dict[str, str], today, lang: str):
    """The disbursement form: the voucher number, the date of payment and the ticked confirmation."""
    import datetime as _dt

    field = i18n.translate("review.voucher", lang)
    voucher = values.get("voucher", "").strip()
    if not voucher:
        raise _Invalid(i18n.translate("review.err.voucher", lang, field=field))
    if len(voucher) > service.MAX_VOUCHER:
        raise _Invalid(i18n.translate("review.err.voucher_long", lang, field=field))
    raw = values.get("paid_on", "").strip()
    try:
        paid_on = _dt.date.fromisoformat(raw) if raw else today
    except ValueError:
        raise _Invalid(i18n.translate("review.err.paid_on", lang, field=i18n.translate("review.paid_on", lang))) from None
    if values.get("confirm") != "yes":
        raise _Invalid(i18n.translate("review.err.confirm", lang))
    return voucher, paid_on


def _done_message(request: Request, done: str | None, amount: str | None, until: str | None,
                  app_id: int | None = None, count: int | None = None) -> str | None:
    if done not in ("start_review", "approve", "approve_pool", "reject", "return", "publish", "disburse",
                    "publish_batch"):
        return None
    lang = i18n.lang_of(request)
    shown = format_fen(int(amount)) if amount and amount.isdigit() else ""
    text = i18n.translate(f"review.done.{done}", lang, amount=shown, date=(until or "")[:10], count=count or 0)
    return f"#{app_id} {text}" if app_id else text


def _funds_message(db, app_id: int, amount_fen: int, cap: bool, lang: str) -> str:
    """Why an approval found too little money: the pool's or the yearly cap's remainder, as it stands now."""
    with db.transaction() as s:
        app = s.get(Application, app_id)
        left = None
        if cap and app is not None and app.cap_year is not None:
            row = s.get(EntityCap, (app.credit_code, policies.cap_key(app.policy_id, app.provision_id), app.cap_year))
            left = row.cap_fen - row.used_fen if row is not None else None
        elif app is not None and app.pool_id:
            pool = s.get(Pool, app.pool_id)
            left = pool.total_fen - pool.reserved_fen - pool.settled_fen if pool is not None else None
    key = "review.err.cap" if cap else "review.err.funds"
    return i18n.translate(key, lang, amount=format_fen(amount_fen), left=format_fen(left) if left is not None else "—")


ACTIONS = ("start_review", "approve", "reject", "return", "publish", "disburse")


@router.post("/review/{app_id}/{action}")
async def act(request: Request, app_id: int, action: str) -> Response:
    user = require(request, ROLES)
    form = await request.form()
    check_csrf(request, form)
    if action not in ACTIONS or not 1 <= app_id <= 2**31 - 1:
        return _not_found(request, app_id)
    lang = i18n.lang_of(request)
    from_queue = form.get("from") == "queue"
    values = {k: str(v)[:5000] for k, v in form.items() if k != "csrf_token" and isinstance(v, str)}
    db = database(request)
    error: str | None = None
    amount_fen: int | None = None
    pooled = False
    today = clock.today()
    try:
        with db.transaction() as s:
            app = _load_visible(s, user, app_id)
            if action == "start_review":
                service.start_review(s, s.merge(user), app_id)
            elif action == "approve":
                amount_fen = _parse_amount(values.get("amount", ""), lang)
                if app.entitlement_fen is None:
                    raise _Invalid(i18n.translate("review.err.no_figure", lang))
                if amount_fen > app.entitlement_fen:
                    raise _Invalid(i18n.translate("review.err.amount_over", lang,
                                                  field=i18n.translate("review.approve_amount", lang),
                                                  amount=format_fen(amount_fen), entitlement=format_fen(app.entitlement_fen)))
                opinion = values.get("opinion", "").strip()
                if amount_fen < app.entitlement_fen and not opinion:
                    raise _Invalid(i18n.translate("review.err.opinion", lang, field=i18n.translate("review.opinion", lang)))
                service.approve(s, s.merge(user), app_id, amount_fen, opinion or None)
                pooled = app.pool_id is not None
            elif action in ("reject", "return"):
                reason = values.get("reason", "").strip()
                if not reason:
                    key = "review.reason_reject" if action == "reject" else "review.reason_return"
                    raise _Invalid(i18n.translate("review.err.reason", lang, field=i18n.translate(key, lang)))
                fn = service.reject if action == "reject" else service.return_for_more
                fn(s, s.merge(user), app_id, reason[:2000])
            elif action == "publish":
                field = i18n.translate("review.notice_days", lang)
                raw = values.get("notice_days", "5").strip() or "5"
                if not raw.isdigit() or not 1 <= int(raw) <= MAX_NOTICE_DAYS:
                    raise _Invalid(i18n.translate("review.err.notice_days", lang, field=field, max=MAX_NOTICE_DAYS))
                service.publish(s, s.merge(user), app_id, int(raw), today=today)
            elif action == "disburse":
                if app.status == "public_notice" and app.notice_until and today <= app.notice_until:
                    raise _Invalid(i18n.translate("review.err.notice_running", lang, date=app.notice_until.isoformat()))
                voucher, paid_on = _payment(values, today, lang)
                amount_fen = app.approved_fen
                service.disburse(s, s.merge(user), app_id, today=today, voucher=voucher, paid_on=paid_on)
            until = app.notice_until.isoformat() if app.notice_until else ""
    except service.NotFound:
        return _not_found(request, app_id)
    except service.PermissionDenied as e:
        raise Forbidden(str(e)) from None
    except _Invalid as e:
        error = e.message
    except ledger.InsufficientFunds as e:
        error = _funds_message(db, app_id, amount_fen or 0, " cap of " in str(e), lang)
    except TransitionError as e:
        error = i18n.translate("review.err.changed", lang, detail=_bilingual(str(e), lang))
    except service.Refused as e:
        error = i18n.translate("review.err.refused", lang, detail=_bilingual(str(e), lang))
    if error is not None:
        # 200, not 4xx: the same page again with the message (a 4xx document logs a console error)
        with db.transaction() as s:
            if from_queue:
                ctx = _queue_context(s, user, today)
                return render(request, "review/queue.html", **ctx, message=None, error=error, form=values,
                              error_app=app_id)
            app = _load_visible(s, user, app_id)
            ctx = _detail_context(s, user, app, i18n.lang_of(request))
            return render(request, "review/detail.html", **ctx, message=None, error=error, form=values,
                          error_action=action)
    params = f"done={'approve_pool' if action == 'approve' and pooled else action}"
    if amount_fen:
        params += f"&amount={amount_fen}"
    if action == "publish" and until:
        params += f"&until={until}"
    target = f"/review?{params}&app={app_id}" if from_queue else f"/review/{app_id}?{params}"
    return RedirectResponse(target, status_code=303)

