"""The public notice (公示), as a bureau publishes it: titled batches (「<year>年第<n>批<provision>拟兑现名单公示」) with their
period, how and to whom to object, and a status that ends with the period — then what has been paid and when.

Anyone may lodge an objection while a batch's notice runs (contact and content, both required). The audit
chain's head is for auditors: it is on its own page (``/notices/audit``, linked from the foot of the notice)
with the JSON, not in the public body. ``/notices.xlsx`` is the same list as an Excel workbook.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from huiqi import clock
from huiqi.web import files, i18n
from huiqi.web.auth import check_csrf, database, page_user
from huiqi.web.render import render
from huiqi.workflow import audit, service
from huiqi.workflow import notices as batches_of
from huiqi.workflow.states import TransitionError

router = APIRouter(include_in_schema=False)


i18n.add({
    "notices.title": ("公示", "Public notice"),
    "notices.intro": ("经牵头部门审核，拟对以下单位和个人兑现政策资金，现予以公示。公示期内，任何单位和个人如有异议，可在本页在线提出，"
                      "或以书面形式向批次所列受理单位反映，请写明联系方式和具体理由。",
                      "The lead departments propose to pay the awards below, published here for public notice. While a notice "
                      "runs, anyone may object on this page or in writing to the department named with the batch, giving a "
                      "contact and the grounds."),
    "notices.current": ("正在公示", "In public notice"),
    "notices.ended": ("公示期满，待拨付", "Notice ended, payment pending"),
    "notices.ended_hint": ("以下批次公示期已满，不再受理异议，正在办理拨付。", "The notice of these batches has ended; objections are closed and payment is under way."),
    "notices.disbursed": ("已拨付", "Paid"),
    "notices.none_current": ("目前没有正在公示的批次", "No batch is in public notice now"),
    "notices.period": ("公示期：{start}至{end}", "Notice period: {start} to {end}"),
    "notices.period_end": ("公示截止：{end}", "Notice ends: {end}"),
    "notices.state.running": ("公示中", "in public notice"),
    "notices.state.ended": ("公示期满", "notice ended"),
    "notices.state.paid": ("已拨付", "paid"),
    "notices.receiver": ("异议受理单位：{dept}。联系电话请以该单位官方网站公布的为准。",
                         "Objections are received by: {dept}. For its telephone, see the department's official website."),
    "notices.count": ("共{n}项，合计{amount}", "{n} item(s), {amount} in all"),
    "notices.col.paid_on": ("拨付日期", "Paid on"),
    "notices.auditors": ("审计核查信息（审计链头、JSON 数据）", "For auditors: audit chain head and JSON data"),
    "notices.audit_title": ("公示审计核查信息", "Public notice: information for auditors"),
    "notices.back": ("返回公示", "Back to the public notice"),
    "notices.checkpoint": ("最新签名检查点", "Latest signed checkpoint"),
    "notices.checkpoint_hint": ("链头定期由平台签名密钥签名，并保存在数据库之外；即使有人改写整个数据库，与此处公布的签名也对不上。",
                                "The head is signed with the platform's key and kept outside the database: even a rewrite of the whole database would not match the signature published here."),
    "notices.checkpoint_key": ("密钥编号", "Key id"),
    "notices.checkpoint_sig": ("签名", "Signature"),
    "notices.none_disbursed": ("暂无已拨付的事项", "Nothing has been paid yet"),
    "notices.col.id": ("编号", "No."),
    "notices.col.name": ("申请人", "Applicant"),
    "notices.col.credit_code": ("统一社会信用代码", "Credit code"),
    "notices.col.measure": ("政策措施", "Measure"),
    "notices.col.provision": ("兑现事项", "Provision"),
    "notices.col.amount": ("核定金额", "Approved amount"),
    "notices.col.until": ("公示截止日期", "Notice ends"),
    "notices.col.batch": ("公示批次", "Batch"),
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
    "notices.pages": ("共 {n} 项，第 {page}/{pages} 页", "{n} in all, page {page} of {pages}"),
    "notices.prev": ("上一页", "Previous page"),
    "notices.next": ("下一页", "Next page"),
    "notices.json": ("JSON 数据", "JSON data"),
})


def _groups(s, today: dt.date) -> dict[str, list[batches_of.Batch]]:
    """Every batch with every item, by state (the Excel download)."""
    every = batches_of.batches(s, today)
    return {state: [b for b in every if b.state == state] for state in ("running", "ended", "paid")}


PAID_PER_PAGE = 50  # the paid list grows with every payment of the year: shown a page at a time, newest first


def _page(request: Request, page: int = 1, **extra) -> Response:
    """The batches still in notice with their items, and one page of what has been paid: read in SQL, never the
    whole year (a replayed year holds ~1,500 paid items)."""
    page_user(request)
    today = clock.today()
    with database(request).transaction() as s:
        every = batches_of.index(s, today)
        open_ = batches_of.fill(s, [b for b in every if b.state in ("running", "ended")])
        paid_total = sum(b.paid for b in every)
        pages = max(1, -(-paid_total // PAID_PER_PAGE))
        page = min(max(page, 1), pages)
        paid = batches_of.paid_page(s, every, (page - 1) * PAID_PER_PAGE, PAID_PER_PAGE)
    ctx = {"running": [b for b in open_ if b.state == "running"], "ended": [b for b in open_ if b.state == "ended"],
           "today": today, "paid": paid, "paid_total": paid_total, "page": page, "pages": pages,
           "message": None, "error": None, "error_id": None, "form": {}}
    ctx.update(extra)
    return render(request, "notices/list.html", **ctx)


@router.get("/notices")
def notices(request: Request, objection: int | None = None, page: str = "1") -> Response:
    lang = i18n.lang_of(request)
    message = i18n.translate("notices.done", lang, n=objection) if objection and objection > 0 else None
    return _page(request, page=int(page) if page.isdigit() and len(page) < 7 else 1, message=message)


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
            objection_id = service.object_to(s, app_id, contact, content, clock.today()).id
    except service.NotFound:
        return _page(request, error=i18n.translate("notices.err.missing", lang, id=app_id), error_id=app_id, form=values)
    except (TransitionError, service.Refused):
        return _page(request, error=i18n.translate("notices.err.closed", lang, id=app_id), error_id=app_id, form=values)
    return RedirectResponse(f"/notices?objection={objection_id}", status_code=303)


def workbook(groups: dict[str, list[batches_of.Batch]], head: dict) -> bytes:
    """The notice as .xlsx, one row per item with its batch: Chinese headers, amounts as exact numbers in ¥ format,
    dates as dates; the audit head on the 说明 sheet (for auditors)."""
    from huiqi import exports, policies

    wb = exports.new_workbook()
    headers = ["编号", "申请人", "统一社会信用代码", "政策措施", "兑现事项", "核定金额（元）", "公示批次", "公示开始日期",
               "公示截止日期", "状态", "拨付日期", "审核部门"]
    state_zh = {"running": "公示中", "ended": "公示期满", "paid": "已拨付"}
    exports.write_sheet(wb, "公示名单", headers, (
        [e.id, e.name, e.credit_code or "", e.measure_zh, e.provision_zh, exports.yuan(e.approved_fen), b.title_zh,
         e.notice_from, e.notice_until, "已拨付" if e.status == "disbursed" else state_zh[state], e.disbursed_on, e.dept]
        for state in ("running", "ended", "paid") for b in groups[state] for e in b.items))
    exports.write_sheet(wb, "说明", ["项目", "内容"], [
        ["生成时间（北京时间）", dt.datetime.now(clock.BEIJING).replace(microsecond=0, tzinfo=None)],
        ["审计链头序号", head.get("seq")],
        ["审计链头哈希", head.get("hash")],
        ["依据", "；".join(f"{h.issuer_zh}《{h.title_zh}》（{h.general.issued.year}年）"
                         for h in (p.header for p in policies.catalogue()))]], widths={2: 70}, autofilter=False)
    return exports.to_bytes(wb)


@router.get("/notices.xlsx")
def notices_xlsx(request: Request) -> Response:
    today = clock.today()
    with database(request).transaction() as s:
        groups, head = _groups(s, today), audit.head(s)
    data = workbook(groups, head)
    return files.xlsx(data, f"公示名单-{today.isoformat()}.xlsx", f"notices-{today.isoformat()}.xlsx")


@router.get("/notices/audit")
def notices_audit(request: Request) -> Response:
    """For auditors: the audit chain's head to note down, and the JSON of the notice."""
    page_user(request)
    with database(request).transaction() as s:
        head = audit.head(s)
    return render(request, "notices/audit.html", head=head)
