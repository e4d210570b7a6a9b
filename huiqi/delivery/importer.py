"""Import a registry from Excel as officials keep it: one header row (Chinese or English column
names), one record per row. Every row is checked on its own; a bad row is reported with its row
number, field and reason, and every good row is kept — one bad row never loses the rest.
Templates with the expected headers come from :func:`template`. Records are imported into one policy's
registry, lists or commitments (the ``policy`` given; default: the default policy).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any, Callable

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from huiqi import xlsx_guard

from huiqi.delivery import DeliveryError, NotYours, policy_or_default

MAX_ROWS = xlsx_guard.IMPORT.rows - 1

PROJECT_COLUMNS = {
    "项目编号": "code", "项目名称": "name", "投资方": "investor", "统一社会信用代码": "credit_code", "投资方来源": "investor_origin", "县区代码": "district",
    "园区": "park", "四区": "zone", "产业链": "chain", "总投资（元）": "total_investment", "年度投资（元）": "annual_investment",
    "年度工业固定资产投资（不含土地款，元）": "annual_fixed_asset", "设备购置（元）": "equipment", "项目阶段": "stage",
    "引进日期": "introduced_on", "策划包装": "packaged", "符合园区主导产业": "fits_park_leading_industry",
    "技改项目": "technical_renovation", "园中园模式": "park_development_mode", "磨憨沿边产业园": "in_mohan_border_park",
    "涉及措施": "measures", "服务专员": "service_officer",
}
LIST_COLUMNS = {"清单类别": "kind", "项目名称": "name", "行业领域": "sector", "县区代码": "district", "总投资（元）": "investment",
                "联系方式": "contact", "发布日期": "published_on"}
COMMITMENT_COLUMNS = {"任务编号": "commitment_id", "状态": "status", "进展情况": "note"}
COMMITMENT_STATUS_BY_ZH = {"未启动": "not_started", "推进中": "in_progress", "已完成": "done"}


@dataclass
class RowError:
    row: int  # the spreadsheet's own row number (the header is row 1)
    field: str
    reason: str
    limit: str | None = None  # the whole file crossed this limit (huiqi.xlsx_guard) and nothing was read


@dataclass
class ImportResult:
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)
    refused: str | None = None  # the limit the file crossed: nothing was read (a 413 on the pages)


def _rows(data: bytes, columns: dict[str, str], required: tuple[str, ...]) -> tuple[list[tuple[int, dict[str, Any]]], list[RowError]]:
    if (refused := _checked(data))[1]:  # the limits first: nothing is inflated before they pass
        return refused
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        return [], [RowError(0, "file", "not an Excel .xlsx workbook / 不是有效的 Excel 文件")]
    n = 0
    try:  # openpyxl reads lazily: a corrupt cell (a date in month 13, a missing shared string) raises mid-way
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header = next(it, None)
        if header is None:
            return [], [RowError(1, "header", "the sheet is empty / 工作表为空")]
        n = 1
        known = {**columns, **{v: v for v in columns.values()}}
        names = [known.get(str(h).strip()) if h is not None else None for h in header]
        missing = [zh for zh, f in columns.items() if f not in names and f in required]
        if missing:
            return [], [RowError(1, "header", f"missing columns: {'、'.join(missing)} / 缺少列")]
        out = []
        for n, values in enumerate(it, start=2):
            if n - 1 > MAX_ROWS:
                return out, [RowError(n, "file", f"more than {MAX_ROWS} rows / 超过{MAX_ROWS}行")]
            if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            out.append((n, {f: v for f, v in zip(names, values) if f is not None}))
    except Exception:
        row = n + 1
        return [], [RowError(row, "file", f"第 {row} 行附近有无法读取的单元格，未导入任何内容 / a cell near row {row} "
                                          "cannot be read; nothing was imported")]
    return out, []




def refusal(data: bytes) -> ImportResult | None:
    """The file crosses a limit: the answer, without opening the database (callers check this first, so a
    hostile file never holds a transaction); None when it is within them."""
    _, errors = _checked(data)
    return ImportResult(errors=errors, refused=errors[0].limit) if errors else None


def _checked(data: bytes) -> tuple[list, list[RowError]]:
    try:
        xlsx_guard.check(data, xlsx_guard.IMPORT)  # the limits first: nothing is inflated before they pass
    except xlsx_guard.WorkbookRefused as e:
        return [], [RowError(0, "file", e.text("zh"), limit=e.limit)]
    return [], []


def _run(session: Session, rows, errors, one: Callable[[dict[str, Any]], Any]) -> ImportResult:
    result = ImportResult(errors=list(errors), refused=next((e.limit for e in errors if e.limit), None))
    for n, values in rows:
        savepoint = session.begin_nested()  # a row that fails leaves nothing behind, the others stay
        try:
            one(values)
            savepoint.commit()
            result.imported += 1
        except DeliveryError as e:
            savepoint.rollback()
            result.errors.append(RowError(n, e.field, e.message))
        except NotYours as e:
            savepoint.rollback()
            result.errors.append(RowError(n, "department", str(e)))
    return result


def import_projects(session: Session, user, data: bytes, policy=None) -> ImportResult:
    """Projects: a new code is added; an existing code of the same registry is updated (only by the department
    keeping it); a code registered under another policy is refused."""
    from sqlalchemy import select

    from huiqi.delivery import projects
    from huiqi.storage.models_delivery import Project

    policy = policy_or_default(policy)
    rows, errors = _rows(data, PROJECT_COLUMNS, ("code", "name", "investor", "investor_origin", "total_investment", "stage"))
    seen: set[str] = set()

    def one(values):
        code = str(values.get("code") or "").strip()
        if code in seen:
            raise DeliveryError("code", f"project {code} appears twice in the file / 文件中项目编号重复")
        seen.add(code)
        existing = session.execute(select(Project.id).where(Project.code == code,
                                                            Project.policy_id == policy.header.id)).scalar()
        if existing is not None:
            projects.update(session, user, existing, values)
        else:
            projects.create(session, user, values, policy)

    return _run(session, rows, errors, one)


def import_list_entries(session: Session, user, data: bytes, policy=None) -> ImportResult:
    from huiqi.delivery import lists

    policy = policy_or_default(policy)
    rows, errors = _rows(data, LIST_COLUMNS, ("kind", "name"))
    return _run(session, rows, errors, lambda values: lists.add(session, user, values, policy))


def import_commitment_progress(session: Session, user, data: bytes, policy=None) -> ImportResult:
    """Progress reports on ``policy``'s commitments, one per row: 任务编号 (<measure>.c03), 状态 (未启动/推进中/已完成),
    进展情况."""
    from huiqi.delivery import commitments

    rows, errors = _rows(data, COMMITMENT_COLUMNS, ("commitment_id", "status", "note"))

    def one(values):
        status = str(values.get("status") or "").strip()
        commitments.report(session, user, str(values.get("commitment_id") or "").strip(),
                           COMMITMENT_STATUS_BY_ZH.get(status, status), str(values.get("note") or ""), policy=policy)

    return _run(session, rows, errors, one)


def template(columns: dict[str, str], rows: list[list[Any]] | None = None) -> bytes:
    """An .xlsx with the expected header (and ``rows``, e.g. examples or an export), written by :mod:`huiqi.exports`."""
    from huiqi import exports

    return exports.table("Sheet", list(columns), rows or [], default_width=16)
