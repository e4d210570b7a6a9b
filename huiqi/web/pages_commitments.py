"""The commitments ledger (督办台账) for the departments and the supervision office (督查室).

Every measure is broken into its sentences of commitment (seeded from the policy data on first use,
never typed in). A department sees its own commitments by default and may look at any other's;
it reports progress (status, note, optional PDF/PNG/JPEG evidence) only on those it owns — another
department sees them read-only and its POST gets the 403 page. Past the due date and not done, a
commitment shows as 已逾期 (overdue). The current filter exports to Excel; progress comes back in
from a workbook, each bad row named by its row number, the good rows kept. Each policy has its own ledger:
``?policy=`` chooses it (the default policy when absent) and the links carry it on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from huiqi import clock, policies
from huiqi.delivery import DeliveryError, NotYours, commitments, importer, may_edit
from huiqi.storage.models_delivery import Commitment, CommitmentReport
from huiqi.web import delivery_policy, files, i18n
from huiqi.web.auth import Forbidden, check_csrf, database, require
from huiqi.web.render import render

router = APIRouter(include_in_schema=False)

ROLES = ("reviewer", "admin")
SHOWN = ("not_started", "in_progress", "done", "overdue")

i18n.add({
    "cm.title": ("督办台账", "Commitments ledger"),
    "cm.task_no": ("第{measure}条第{n}项任务", "Measure {measure}, task {n}"),  # a task code, as people say it
    "cm.intro": ("每条措施按原文逐句分解为任务，由牵头单位填报进展；超过完成时限未完成的显示为“已逾期”。",
                 "Each measure is broken into its sentences of commitment; the lead departments report progress. "
                 "Past the due date and not done, a commitment shows as overdue."),
    "cm.filter": ("筛选", "Filter"),
    "cm.department": ("责任单位", "Department"),
    "cm.all_departments": ("全部单位", "All departments"),
    "cm.measure": ("措施", "Measure"),
    "cm.all_measures": ("全部措施", "All measures"),
    "cm.status": ("状态", "Status"),
    "cm.all_statuses": ("全部状态", "All statuses"),
    "cm.apply": ("查看", "Show"),
    "cm.export": ("导出 Excel（当前筛选）", "Export to Excel (this filter)"),
    "cm.count": ("共 {n} 项任务", "{n} commitments"),
    "cm.none": ("没有符合条件的任务", "No commitment matches"),
    "cm.summary": ("按状态统计", "By status"),
    "cm.st.not_started": ("未启动", "Not started"),
    "cm.st.in_progress": ("推进中", "In progress"),
    "cm.st.done": ("已完成", "Done"),
    "cm.st.overdue": ("已逾期", "Overdue"),
    "cm.overdue_warning": ("已逾期：超过完成时限 {date} 仍未完成", "Overdue: not done by {date}"),
    "cm.overdue_count": ("{n} 项任务已逾期，请尽快推进并填报进展", "{n} commitments are overdue; report progress soon"),
    "cm.due": ("完成时限", "Due"),
    "cm.owners": ("牵头单位", "Lead departments"),
    "cm.latest": ("最近进展", "Latest progress"),
    "cm.updated": ("更新时间", "Updated"),
    "cm.open": ("查看与填报", "Open"),
    "cm.open_ro": ("查看", "Open"),
    "cm.citation": ("原文依据", "The sentence of the measure"),
    "cm.measure_link": ("查看措施原文", "Read the measure"),
    "cm.history": ("进展记录", "Progress history"),
    "cm.no_history": ("尚未填报进展", "No progress reported yet"),
    "cm.time": ("时间（北京时间）", "Time (Beijing)"),
    "cm.note": ("进展情况", "Progress"),
    "cm.evidence": ("佐证材料", "Evidence"),
    "cm.by": ("填报人", "Reported by"),
    "cm.report": ("填报进展", "Report progress"),
    "cm.report_status": ("当前状态", "Status now"),
    "cm.report_note": ("进展情况", "Progress"),
    "cm.report_note_hint": ("写明已做的工作、数字和下一步安排", "What was done, the figures, and what comes next"),
    "cm.report_file": ("佐证材料（可选，PDF/PNG/JPEG，不超过10MB）", "Evidence (optional: PDF, PNG or JPEG, up to 10 MB)"),
    "cm.report_submit": ("提交进展", "Submit"),
    "cm.reported": ("已提交进展", "Progress reported"),
    "cm.read_only": ("本任务由{dept}填报，您可查看进展，不能填报。", "{dept} reports on this commitment; you can read it but not report."),
    "cm.import": ("批量导入进展（Excel）", "Import progress from Excel"),
    "cm.import_hint": ("每行一条进展：任务编号、状态（未启动/推进中/已完成）、进展情况。只能填报本单位的任务；有误的行单独列出，其余照常导入。",
                       "One report per row: commitment number, status (未启动/推进中/已完成), progress. Only your own "
                       "commitments; a bad row is listed on its own and the others are imported."),
    "cm.import_file": ("进展表（.xlsx）", "Progress workbook (.xlsx)"),
    "cm.import_submit": ("导入", "Import"),
    "cm.template": ("下载导入模板", "Download the template"),
    "cm.imported": ("已导入 {n} 条进展", "{n} reports imported"),
    "cm.import_errors": ("以下 {n} 行未导入：", "{n} rows were not imported:"),
    "cm.row": ("行号", "Row"),
    "cm.field": ("字段", "Field"),
    "cm.reason": ("原因", "Reason"),
    "cm.err": ("{field}：{message}", "{field}: {message}"),
    "cm.not_found": ("未找到任务“{id}”", "Commitment '{id}' not found"),
    "cm.back": ("返回台账", "Back to the ledger"),
    "cm.f.status": ("状态", "Status"),
    "cm.f.note": ("进展情况", "Progress"),
    "cm.f.evidence": ("佐证材料", "Evidence"),
    "cm.f.commitment_id": ("任务编号", "Commitment number"),
    "cm.f.department": ("责任单位", "Department"),
    "cm.f.file": ("文件", "File"),
    "cm.f.header": ("表头", "Header"),
    "cm.no_file": ("请选择要导入的 Excel 文件", "Choose an Excel file to import"),
})


def today() -> dt.date:
    """The day the ledger is judged on: Beijing's date (:mod:`huiqi.clock`)."""
    return clock.today()


def bilingual(message: str, lang: str) -> str:
    """The services' messages read 'English / 中文': the visitor's half."""
    if " / " not in message:
        return message
    en, zh = message.rsplit(" / ", 1)
    return en if lang == "en" else zh


def field_label(prefix: str, field: str, lang: str) -> str:
    key = f"{prefix}.f.{field}"
    return i18n.translate(key, lang) if key in i18n.MESSAGES else field


def local(at: dt.datetime | None) -> str:
    return clock.beijing_text(at)


def _ensure_seeded(s, policy=None) -> None:
    """Seed the policy's commitments on first use (default: the default policy)."""
    policy = policy or policies.load()
    if not s.execute(select(func.count()).select_from(Commitment)
                     .where(Commitment.policy_id == policy.header.id)).scalar():
        commitments.seed(s, policy)


def _departments() -> list[str]:
    from huiqi.catalogue import departments

    return departments()


def _filters(request: Request, user) -> dict[str, str]:
    """The filter of the address, with the chosen policy (``policy``: its id, empty for the default)."""
    policy_id, policy = delivery_policy.chosen(request)
    q = request.query_params
    if "department" in q:
        department = q.get("department", "")[:100]
    else:
        department = user.department or "" if user.role == "reviewer" else ""
    measure = q.get("measure", "")[:8]
    status = q.get("status", "")
    return {"department": department, "measure": measure if policy.measure(measure) else "",
            "status": status if status in SHOWN else "", "policy": policy_id or ""}


def _latest(s, ids: list[str]) -> dict[str, CommitmentReport]:
    out: dict[str, CommitmentReport] = {}
    if not ids:
        return out
    for r in s.execute(select(CommitmentReport).where(CommitmentReport.commitment_id.in_(ids))
                       .order_by(CommitmentReport.id)).scalars():
        out[r.commitment_id] = r
    return out


def _rows(s, f: dict[str, str], day: dt.date) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The rows of the filter's policy (seeded on first use) and the counts by status."""
    policy = policies.load(f.get("policy") or None)
    _ensure_seeded(s, policy)
    base = commitments.listing(s, day, department=f["department"] or None, measure_id=f["measure"] or None,
                               policy=policy)
    counts = commitments.summary(base, day)
    rows = [c for c in base if not f["status"] or commitments.shown_status(c, day) == f["status"]]
    latest = _latest(s, [c.id for c in rows])  # by stored key
    out = []
    for c in rows:
        m = policy.measure(c.measure_id)
        last = latest.get(c.id)
        out.append({"id": c.code, "measure_id": c.measure_id, "measure_no": m.number if m else "",
                    "measure_zh": m.title_zh if m else c.measure_id, "measure_en": getattr(m, "title_en", None) if m else None,
                    "sentence": c.sentence, "departments": commitments.departments(c), "due": c.due,
                    "status": commitments.shown_status(c, day), "latest": last.note if last else "",
                    "updated": local(last.at) if last else "", "updated_at": clock.beijing(last.at) if last else None})
    return out, counts


def _list_page(request: Request, user, import_result=None, import_error: str | None = None) -> Response:
    f = _filters(request, user)
    day = today()
    with database(request).transaction() as s:
        rows, counts = _rows(s, f, day)
    lang = i18n.lang_of(request)
    errors = []
    if import_result is not None:
        errors = [{"row": e.row, "field": field_label("cm", e.field, lang), "reason": bilingual(e.reason, lang)}
                  for e in import_result.errors]
    ctx = delivery_policy.view(f["policy"] or None, "/commitments")
    query = urlencode({k: v for k, v in f.items() if k != "policy" or v})
    return render(request, "commitments/list.html", rows=rows, counts=counts, f=f, shown=SHOWN,
                  departments=_departments(), measures=ctx["policy"].measures, query=query,
                  import_result=import_result, import_errors=errors, import_error=import_error, today=day, **ctx)


@router.get("/commitments")
def ledger(request: Request) -> Response:
    user = require(request, ROLES)
    return _list_page(request, user)


@router.get("/commitments.xlsx")
def export(request: Request) -> Response:
    """The filter's commitments: measure number and title beside the task number, deadlines as dates, the last
    update as a Beijing time (:mod:`huiqi.exports`)."""
    from huiqi import exports

    user = require(request, ROLES)
    f = _filters(request, user)
    with database(request).transaction() as s:
        _ensure_seeded(s)
        rows, _ = _rows(s, f, today())
    data = exports.table("督办台账", ["任务编号", "措施编号", "措施名称", "任务内容", "牵头单位", "完成时限", "状态",
                                      "最近进展", "更新时间（北京时间）"], (
        [r["id"], r["measure_id"], r["measure_zh"], r["sentence"], "、".join(r["departments"]), r["due"],
         commitments.STATUS_ZH[r["status"]], r["latest"], r["updated_at"]] for r in rows), {4: 60, 8: 40})
    return files.xlsx(data, f"督办台账-{today().isoformat()}.xlsx", "commitments.xlsx")


@router.get("/commitments/template.xlsx")
def template(request: Request) -> Response:
    require(request, ROLES)
    return files.xlsx(importer.template("progress", delivery_policy.chosen(request)[1]), "督办进展导入模板.xlsx",
                      "commitment-progress.xlsx")


@router.post("/commitments/import")
async def import_progress(request: Request) -> Response:
    user = require(request, ROLES)
    form = await request.form()
    check_csrf(request, form)
    _, data = await files.uploaded(form)
    if not data:
        return _list_page(request, user, import_error=i18n.translate("cm.no_file", i18n.lang_of(request)))

    _, policy = delivery_policy.chosen(request)

    def work():
        if (refused := importer.refusal(data)) is not None:  # checked before the database is opened
            return refused
        with database(request).transaction() as s:
            _ensure_seeded(s, policy)
            return importer.import_commitment_progress(s, s.merge(user), data, policy)

    result = await run_in_threadpool(work)  # reading a workbook must not hold up every other request
    if result.refused:  # the file crossed a limit (huiqi.xlsx_guard): nothing was read
        page = _list_page(request, user, import_error=result.errors[0].reason)
        page.status_code = 413
        return page
    return _list_page(request, user, import_result=result)


def _detail(request: Request, user, commitment_id: str, error: str | None = None, form: dict | None = None,
            message: str | None = None) -> Response:
    day = today()
    lang = i18n.lang_of(request)
    policy_id, policy = delivery_policy.chosen(request)
    with database(request).transaction() as s:
        _ensure_seeded(s, policy)
        c = commitments.find(s, policy, commitment_id[:20])
        if c is None:
            return render(request, "error.html", status_code=404,
                          message=i18n.translate("cm.not_found", lang, id=commitment_id[:20]))
        owners = commitments.departments(c)
        reports = [{"at": local(r.at), "status": r.status, "note": r.note, "evidence": r.evidence_sha256,
                    "evidence_name": r.evidence_name, "id": r.id, "actor": r.actor, "department": r.department or ""}
                   for r in commitments.history(s, c.code, policy)]
        view = {"id": c.code, "measure_id": c.measure_id, "sentence": c.sentence, "due": c.due, "status": c.status,
                "shown": commitments.shown_status(c, day)}
    m = policy.measure(view["measure_id"])
    return render(request, "commitments/detail.html", c=view, m=m, owners=owners, reports=list(reversed(reports)),
                  editable=may_edit(user, owners), statuses=commitments.STATUSES, error=error, form=form or {},
                  message=message, **delivery_policy.view(policy_id, f"/commitments/{quote(view['id'])}"))


@router.get("/commitments/{commitment_id}")
def detail(request: Request, commitment_id: str, done: str | None = None) -> Response:
    user = require(request, ROLES)
    message = i18n.translate("cm.reported", i18n.lang_of(request)) if done == "report" else None
    return _detail(request, user, commitment_id, message=message)


@router.post("/commitments/{commitment_id}/report")
async def report(request: Request, commitment_id: str) -> Response:
    user = require(request, ROLES)
    form = await request.form()
    check_csrf(request, form)
    lang = i18n.lang_of(request)
    commitment_id = commitment_id[:20]
    policy_id, policy = delivery_policy.chosen(request)
    with database(request).transaction() as s:
        c = commitments.find(s, policy, commitment_id)
        if c is None:
            return render(request, "error.html", status_code=404, message=i18n.translate("cm.not_found", lang, id=commitment_id))
        if not may_edit(user, commitments.departments(c)):
            raise Forbidden(f"{user.username} may not report on {commitment_id}")
    name, data = await files.uploaded(form, "evidence")
    evidence = (name, data) if data else None
    status, note = str(form.get("status", ""))[:20], str(form.get("note", ""))[:5000]
    try:
        with database(request).transaction() as s:
            commitments.report(s, s.merge(user), commitment_id, status, note, evidence, policy=policy)
    except NotYours:
        raise Forbidden(f"{user.username} may not report on {commitment_id}") from None
    except DeliveryError as e:
        error = i18n.translate("cm.err", lang, field=field_label("cm", e.field, lang), message=bilingual(e.message, lang))
        return _detail(request, user, commitment_id, error=error, form={"status": status, "note": note})
    return RedirectResponse(delivery_policy.with_policy(f"/commitments/{quote(commitment_id)}?done=report", policy_id),
                            status_code=303)


@router.get("/commitments/{commitment_id}/evidence/{report_id}")
def evidence_file(request: Request, commitment_id: str, report_id: int) -> Response:
    from huiqi.workflow import evidence as store

    require(request, ROLES)
    lang = i18n.lang_of(request)
    _, policy = delivery_policy.chosen(request)
    with database(request).transaction() as s:
        r = s.get(CommitmentReport, report_id) if 1 <= report_id <= 2**31 - 1 else None
        stored = commitments.key(policy.header.id, commitment_id[:20])
        if r is None or r.commitment_id != stored or not r.evidence_sha256:
            return render(request, "error.html", status_code=404, message=i18n.translate("cm.not_found", lang, id=commitment_id[:20]))
        sha, name = r.evidence_sha256, r.evidence_name or "evidence"
    path = store.path_of(sha)
    if not path.is_file():
        return render(request, "error.html", status_code=404, message=i18n.translate("cm.not_found", lang, id=commitment_id[:20]))
    return files.evidence(path, name, store.sniff(path.read_bytes()[:16]) or "application/octet-stream")
