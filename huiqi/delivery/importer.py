"""Import a registry from Excel or CSV as officials keep it, through the one tolerant reader
(:mod:`huiqi.parse.table`): the header found under title rows, on any sheet, one or two rows deep, columns
named in Chinese, English or a common synonym (``columns.yaml``), dates, amounts (元/万元/亿元), 是/否 and
choices as people write them. Every row is checked on its own; each problem names the row, the column
header the official wrote and the sheet, a row's problems are all listed, and every good row is kept — one
bad row never loses the rest. Templates (dropdowns, an example row that is skipped, a 说明 sheet) come from
:mod:`huiqi.delivery.templates`. Records are
imported into one policy's registry, lists or commitments (the ``policy`` given; default: the default policy).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from sqlalchemy.orm import Session

from huiqi import xlsx_guard
from huiqi.delivery import DeliveryError, NotYours, fields, policy_or_default, templates
from huiqi.parse import table as T

MAX_ROWS = xlsx_guard.IMPORT.rows - 1

PROJECT_COLUMNS = fields.headers("projects")
LIST_COLUMNS = fields.headers("lists")
COMMITMENT_COLUMNS = fields.headers("progress")
COMMITMENT_STATUS_BY_ZH = {"未启动": "not_started", "推进中": "in_progress", "已完成": "done"}
_TABLE_OF = {id(PROJECT_COLUMNS): "projects", id(LIST_COLUMNS): "lists", id(COMMITMENT_COLUMNS): "progress"}


@dataclass
class RowError:
    row: int  # the sheet's own row number
    field: str
    reason: str  # "English / 中文", naming the column as the official wrote it and the sheet
    limit: str | None = None  # the whole file crossed this limit (huiqi.xlsx_guard) and nothing was read
    sheet: str = ""
    column: str = ""  # the header as written in the file


@dataclass
class ImportResult:
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)
    refused: str | None = None  # the limit the file crossed: nothing was read (a 413 on the pages)


def _choices(table: str) -> dict[str, dict[str, str]]:
    if table == "projects":
        from huiqi.delivery import projects

        return {"investor_origin": dict(projects.ORIGINS), "stage": dict(projects.STAGES)}
    if table == "progress":
        return {"status": {code: zh for zh, code in COMMITMENT_STATUS_BY_ZH.items()}}
    return {}


def _where(reason_en: str, reason_zh: str, sheet: str, column: str) -> str:
    en = f"{reason_en} (column '{column}', sheet '{sheet}')" if column else f"{reason_en} (sheet '{sheet}')"
    zh = f"「{column}」：{reason_zh}（工作表「{sheet}」）" if column else f"{reason_zh}（工作表「{sheet}」）"
    return f"{en} / {zh}"


def _read(data: bytes, table: str, name: str = "") -> tuple[T.Table | None, list[RowError]]:
    try:
        read = T.read(data, fields.specs(table, _choices(table)), limits=xlsx_guard.IMPORT, name=name)
    except T.TableRefused as e:
        return None, [RowError(e.row, e.field, f"{e.zh} / {e.en}" if e.limit else f"{e.en} / {e.zh}", limit=e.limit)]
    errors = [RowError(p.row, p.field, _where(p.en, p.zh, p.sheet, p.column), sheet=p.sheet, column=p.column)
              for p in read.problems]
    return read, errors


def _rows(data: bytes, columns: dict[str, str], required: tuple[str, ...] = ()) -> tuple[list[tuple[int, dict[str, Any]]], list[RowError]]:
    """The good rows (sheet row number, field → normalised value) and every problem, for one of the column sets."""
    read, errors = _read(data, _TABLE_OF[id(columns)])
    if read is None:
        return [], errors
    return read.rows, errors


def refusal(data: bytes) -> ImportResult | None:
    """The file crosses a limit: the answer, without opening the database (callers check this first, so a
    hostile file never holds a transaction); None when it is within them. CSV files are checked as they are read."""
    _, errors = _checked(data)
    return ImportResult(errors=errors, refused=errors[0].limit) if errors else None


def _checked(data: bytes) -> tuple[list, list[RowError]]:
    if data[:4] != b"PK\x03\x04":
        if len(data) > xlsx_guard.IMPORT.file_bytes:
            return [], [RowError(0, "file", f"file larger than {xlsx_guard.IMPORT.file_bytes // xlsx_guard.MB} MB / 文件超过 "
                                            f"{xlsx_guard.IMPORT.file_bytes // xlsx_guard.MB} MB", limit="file_bytes")]
        return [], []
    try:
        xlsx_guard.check(data, xlsx_guard.IMPORT)  # the limits first: nothing is inflated before they pass
    except xlsx_guard.WorkbookRefused as e:
        return [], [RowError(0, "file", e.text("zh"), limit=e.limit)]
    return [], []


def _run(session: Session, read: T.Table | None, errors, one: Callable[[dict[str, Any]], Any], read_kind: str = "") -> ImportResult:
    result = ImportResult(errors=list(errors), refused=next((e.limit for e in errors if e.limit), None))
    money = {sp.field for sp in (fields.specs(read_kind) if read_kind else ()) if sp.kind == "money"}
    for n, values in (read.rows if read is not None else []):
        if templates.is_example(values):  # the template's 【示例】 row, left in
            continue
        values = {k: (Decimal(v) / 100 if k in money and v is not None else v) for k, v in values.items()}  # the services take yuan
        savepoint = session.begin_nested()  # a row that fails leaves nothing behind, the others stay
        try:
            one(values)
            savepoint.commit()
            result.imported += 1
        except DeliveryError as e:
            savepoint.rollback()
            en, _, zh = e.message.partition(" / ")
            column = read.header_of(e.field)
            result.errors.append(RowError(n, e.field, _where(en, zh or en, read.sheet, column), sheet=read.sheet,
                                          column=column))
        except NotYours as e:
            savepoint.rollback()
            result.errors.append(RowError(n, "department", str(e)))
    result.errors.sort(key=lambda e: e.row)
    return result


def import_projects(session: Session, user, data: bytes, policy=None) -> ImportResult:
    """Projects: a new code is added; an existing code of the same registry is updated (only by the department
    keeping it); a code registered under another policy is refused."""
    from sqlalchemy import select

    from huiqi.delivery import projects
    from huiqi.storage.models_delivery import Project

    policy = policy_or_default(policy)
    read, errors = _read(data, "projects")
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

    return _run(session, read, errors, one, "projects")


def import_list_entries(session: Session, user, data: bytes, policy=None) -> ImportResult:
    from huiqi.delivery import lists

    policy = policy_or_default(policy)
    read, errors = _read(data, "lists")
    return _run(session, read, errors, lambda values: lists.add(session, user, values, policy), "lists")


def import_commitment_progress(session: Session, user, data: bytes, policy=None) -> ImportResult:
    """Progress reports on ``policy``'s commitments, one per row: 任务编号 (<measure>.c03), 状态 (未启动/推进中/已完成),
    进展情况."""
    from huiqi.delivery import commitments

    read, errors = _read(data, "progress")

    def one(values):  # the status arrives as its code (the reader maps 推进中, 进行中 … to it)
        commitments.report(session, user, str(values.get("commitment_id") or ""), values["status"],
                           str(values.get("note") or ""), policy=policy)

    return _run(session, read, errors, one, "progress")


def template(table: str, policy=None) -> bytes:
    """The import template of ``table`` (projects, lists, progress): :func:`huiqi.delivery.templates.workbook`."""
    return templates.workbook(table, policy)
