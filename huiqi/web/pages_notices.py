"""The public notice (公示): approved awards in their notice period and those already paid, for anyone.

Anyone may lodge an objection while an award is in its notice period (contact and content, both
required). The audit chain's head is shown, as in ``/api/v1/notices``, so an outsider can note it and
later tell whether history was rewritten. ``/notices.xlsx`` is the same list as an Excel workbook.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from huiqi.storage.models import Application
from huiqi.web import files, i18n
from huiqi.web.auth import check_csrf, database, page_user
from huiqi.web.render import render
from huiqi.workflow import audit, service
from huiqi.workflow.states import STATUS_ZH, TransitionError

router = APIRouter(include_in_schema=False)


i18n.add({
    "notices.title": ("公示", "Public notice"),
    "notices.intro": ("以下为经牵头部门审核批准、正在公示的政策兑现事项。公示期内任何单位和个人均可对公示内容提出异议。",
                      "Awards approved by the lead departments, in their public notice period. Anyone may object while the notice runs."),
    "notices.current": ("公示中", "In public notice"),
    "notices.disbursed": ("已拨付", "Paid"),
    "notices.none_current": ("目前没有正在公示的事项", "Nothing is in public notice now"),
    "notices.none_disbursed": ("暂无已拨付的事项", "Nothing has been paid yet"),
    "notices.col.id": ("编号", "No."),
    "notices.col.name": ("申请人", "Applicant"),
    "notices.col.credit_code": ("统一社会信用代码", "Credit code"),
    "notices.col.measure": ("政策措施", "Measure"),
    "notices.col.provision": ("兑现事项", "Provision"),
    "notices.col.amount": ("核定金额", "Approved amount"),
    "notices.col.until": ("公示截止日期", "Notice ends"),
    "notices.col.dept": ("审核部门", "Department"),
    "notices.col.object": ("异议", "Objection"),
    "notices.object": ("提出异议", "Object"),
    "notices.object_title": ("对第 {id} 号公示（{name}，{amount}）提出异议", "Object to notice {id} ({name}, {amount})"),
    "notices.contact": ("联系方式（电话或邮箱）", "Contact (phone or e-mail)"),
    "notices.content": ("异议内容及理由", "Your objection and its grounds"),
    "notices.submit": ("提交异议", "Send the objection"),
    "notices.err.contact": ("联系方式（电话或邮箱）：请填写", "Contact (phone or e-mail): required"),
    "notices.err.content": ("异议内容及理由：请填写", "Your objection and its grounds: required"),
    "notices.err.closed": ("第 {id} 号事项已不在公示期，不能提出异议", "Notice {id} is no longer running; objections are closed"),
    "notices.err.missing": ("未找到第 {id} 号公示事项", "Notice {id} not found"),
    "notices.done": ("异议已登记（异议编号 {n}），牵头部门将予以核实", "Objection {n} is recorded; the lead department will look into it"),
    "notices.audit": ("审计链头", "Audit chain head"),
    "notices.audit_hint": ("每一次审核、公示、拨付和异议都记入哈希链审计日志。记下此链头（序号和哈希值），日后可核对历史记录是否被改写。",
                           "Every review, notice, payment and objection is written to a hash-chained audit log. Note this head (number and hash) to check later that history was not rewritten."),
    "notices.audit_seq": ("序号", "Entry"),
    "notices.audit_hash": ("哈希值", "Hash"),
    "notices.xlsx": ("下载 Excel 名单", "Download as Excel"),
    "notices.json": ("JSON 数据", "JSON data"),
})


def _title(policy, app: Application) -> dict[str, Any]:
    m = policy.measure(app.measure_id)
    p = m.provision(app.provision_id) if m else None
    return {
        "measure_zh": f"{m.number}. {m.title_zh}" if m else app.measure_id,
        "measure_en": f"{m.number}. {m.title_en}" if m else app.measure_id,
        "provision_zh": p.title_zh if p else app.provision_id,
        "provision_en": p.title_en if p else app.provision_id,
        "dept": "、".join(d.name for d in m.lead_departments if d.role == "lead") or "、".join(d.name for d in m.lead_departments)
        if m else "",
    }


def _entries(s) -> tuple[list[dict], list[dict], dict]:
    from huiqi import policies

    policy = policies.effective(s)
    rows = s.execute(select(Application).where(Application.status.in_(["public_notice", "disbursed"]))
                     .order_by(Application.id)).scalars().all()
    out = []
    for a in rows:
        try:
            name = json.loads(a.profile_json).get("name") or ""
        except (TypeError, ValueError):
            name = ""
        own = policy if a.policy_id == policy.header.id else policies.effective(s, a.policy_id)  # each its own notice
        out.append({"id": a.id, "name": name, "credit_code": a.credit_code, "status": a.status,
                    "approved_fen": a.approved_fen or 0, "notice_until": a.notice_until, **_title(own, a)})
    return ([e for e in out if e["status"] == "public_notice"], [e for e in out if e["status"] == "disbursed"],
            audit.head(s))


def _page(request: Request, **extra) -> Response:
    page_user(request)
    with database(request).transaction() as s:
        current, disbursed, head = _entries(s)
    ctx = {"current": current, "disbursed": disbursed, "head": head, "message": None, "error": None,
           "error_id": None, "form": {}}
    ctx.update(extra)
    return render(request, "notices/list.html", **ctx)


@router.get("/notices")
def notices(request: Request, objection: int | None = None) -> Response:
    lang = i18n.lang_of(request)
    message = i18n.translate("notices.done", lang, n=objection) if objection and objection > 0 else None
    return _page(request, message=message)


@router.post("/notices/{app_id}/objection")
async def object_to(request: Request, app_id: int) -> Response:
    form = await request.form()
    if page_user(request) is not None:  # a signed-in visitor's form carries the session's token
        check_csrf(request, form)
    lang = i18n.lang_of(request)
    contact = str(form.get("contact", "")).strip()[:200]
    content = str(form.get("content", "")).strip()[:5000]
    errors = []
    if not contact:
        errors.append(i18n.translate("notices.err.contact", lang))
    if not content:
        errors.append(i18n.translate("notices.err.content", lang))
    values = {"contact": contact, "content": content}
    if errors:
        return _page(request, error="；".join(errors) if lang == "zh" else "; ".join(errors), error_id=app_id, form=values)
    if not 1 <= app_id <= 2**31 - 1:
        return _page(request, error=i18n.translate("notices.err.missing", lang, id=app_id), error_id=app_id, form=values)
    try:
        with database(request).transaction() as s:
            objection_id = service.object_to(s, app_id, contact, content).id
    except service.NotFound:
        return _page(request, error=i18n.translate("notices.err.missing", lang, id=app_id), error_id=app_id, form=values)
    except (TransitionError, service.Refused):
        return _page(request, error=i18n.translate("notices.err.closed", lang, id=app_id), error_id=app_id, form=values)
    return RedirectResponse(f"/notices?objection={objection_id}", status_code=303)


def workbook(current: list[dict], disbursed: list[dict], head: dict) -> bytes:
    """The notice list as .xlsx: Chinese headers, amounts as exact numbers in ¥ format, dates as dates."""
    from huiqi import exports, policies

    wb = exports.new_workbook()
    headers = ["编号", "申请人", "统一社会信用代码", "政策措施", "兑现事项", "核定金额（元）", "公示截止日期", "状态", "审核部门"]
    ws = exports.add_sheet(wb, "公示名单", headers, (8, 32, 22, 36, 24, 18, 14, 10, 24))
    for e in current + disbursed:
        exports.append(ws, [e["id"], e["name"], e["credit_code"] or "", e["measure_zh"], e["provision_zh"],
                            exports.yuan(e["approved_fen"]), e["notice_until"],
                            STATUS_ZH.get(e["status"], e["status"]), e["dept"]])
    ws.auto_filter.ref = f"A1:I{max(ws.max_row, 1)}"
    about = exports.add_sheet(wb, "说明", [], (16, 70))
    exports.append(about, ["生成时间", dt.datetime.now().replace(microsecond=0)])
    exports.append(about, ["审计链头序号", head.get("seq")])
    exports.append(about, ["审计链头哈希", head.get("hash")])
    exports.append(about, ["依据", "；".join(f"{h.issuer_zh}《{h.title_zh}》（{h.general.issued.year}年）"
                                             for h in (p.header for p in policies.catalogue()))])
    return exports.to_bytes(wb)


@router.get("/notices.xlsx")
def notices_xlsx(request: Request) -> Response:
    with database(request).transaction() as s:
        current, disbursed, head = _entries(s)
    data = workbook(current, disbursed, head)
    day = dt.date.today().isoformat()
    return files.xlsx(data, f"公示名单-{day}.xlsx", f"notices-{day}.xlsx")
