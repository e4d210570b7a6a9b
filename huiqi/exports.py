"""Every spreadsheet and CSV the project writes is written here, with one look and one safety rule.

The look, so a file can be handed in as it is: Chinese sheet names and headers, a bold header row frozen under
the header with an autofilter, column widths measured from the content (a Chinese character counts twice),
amounts as exact numbers (fen / 100 as Decimal) shown as ``¥#,##0.00``, dates as real Excel dates, booleans
as 是/否. CSV is UTF-8 with a BOM (Excel then opens Chinese text correctly) or GB18030 on request, amounts in
yuan with two decimals. The safety rule (OWASP "CSV injection"): text that people typed —
a project name, a list entry, an objection, a progress report — is never written as a formula. In .xlsx a
text cell is stored as a string with Excel's quote prefix, so it shows exactly as typed and stays text when
someone edits it; in CSV (where there are no types) a dangerous cell gets a leading apostrophe, as OWASP
recommends. Dangerous: starting with = + - @ tab or CR, also after leading white space, and the full-width
＝ ＋ － ＠ that spreadsheet programs accept too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any, Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

YUAN_FORMAT = "¥#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
MAX_CELL_CHARS = 32_767  # Excel's limit; a longer text would make the file fail to open
TRIGGERS = ("=", "+", "-", "@", "＝", "＋", "－", "＠")
CONTROL_TRIGGERS = ("\t", "\r", "\n")
YES, NO = "是", "否"
FEN_SUFFIX, YUAN_HEADER = "_分", "（元）"  # a query's money column is named 金额_分 and shown as 金额（元）
MIN_WIDTH, MAX_WIDTH = 6, 60
WIDTH_SAMPLE = 1_000  # rows measured for the widths (a streamed sheet cannot be measured to its end)
# CSV codecs by the names people use: UTF-8 gets a BOM; GBK is written as GB18030, which holds every GBK character
# (same bytes) and the rest of Unicode, so no name is ever lost
CSV_ENCODINGS = {"utf-8": "utf-8-sig", "utf-8-sig": "utf-8-sig", "utf8": "utf-8-sig",
                 "gbk": "gb18030", "gb18030": "gb18030", "gb2312": "gb18030"}


@dataclass(frozen=True)
class Yuan:
    """An amount kept in fen, written as exact yuan with the ¥ format."""

    fen: int

    @property
    def amount(self) -> Decimal:
        return (Decimal(self.fen) / 100).quantize(Decimal("0.01"))


def yuan(fen: int | None) -> Yuan | None:
    """Mark a fen amount for the ¥ column (None stays an empty cell)."""
    return None if fen is None else Yuan(int(fen))


def yes_no(value: bool | None) -> str | None:
    """是/否 for a boolean, as officials write it (None stays empty)."""
    return None if value is None else (YES if value else NO)


def money_columns(names: Sequence[str]) -> tuple[list[str], list[bool]]:
    """A query's column names with 金额_分 shown as 金额（元）, and which columns hold fen."""
    fen = [n.endswith(FEN_SUFFIX) for n in names]
    return [n[: -len(FEN_SUFFIX)] + YUAN_HEADER if f else n for n, f in zip(names, fen)], fen


def from_query(row: Sequence[Any], fen: Sequence[bool]) -> list[Any]:
    """A query row made ready to show: fen columns as :class:`Yuan`."""
    return [yuan(v) if f and v is not None else v for v, f in zip(row, fen)]


def shown(value: Any) -> str:
    """The text a cell shows (for measuring widths and for CSV)."""
    if value is None:
        return ""
    if isinstance(value, Yuan):
        return f"¥{value.amount:,.2f}"
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def display_width(text: str) -> int:
    """Columns a text takes on screen: a Chinese (wide or full-width) character takes two; the longest line counts."""
    return max((sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
                for line in text.split("\n")), default=0)


def is_dangerous(text: str) -> bool:
    """Would a spreadsheet program read this text as a formula (or a DDE call)?"""
    return text.startswith(CONTROL_TRIGGERS) or text.lstrip().startswith(TRIGGERS)


def clean_text(text: str) -> str:
    """Text an .xlsx can hold: no XML-illegal control characters, no more than Excel's cell limit."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)[:MAX_CELL_CHARS]


def csv_text(text: str) -> str:
    """A CSV cell that no spreadsheet evaluates: an apostrophe in front of a dangerous text (OWASP)."""
    return "'" + text if is_dangerous(text) else text


# -- .xlsx -------------------------------------------------------------------------------------------


def new_workbook(write_only: bool = False) -> Workbook:
    """A workbook without its default empty sheet (sheets are added by :func:`add_sheet`)."""
    wb = Workbook(write_only=write_only)
    if not write_only:
        wb.remove(wb.active)
    return wb


def _naive_beijing(at: dt.datetime) -> dt.datetime:
    from huiqi import clock

    return clock.beijing(at)  # Excel has no time zones: a person reads Beijing time


def cell(ws, value: Any):
    """One cell: text as text (never a formula), Yuan as ¥ numbers, dates as dates, numbers as numbers."""
    if isinstance(value, Yuan):
        c = WriteOnlyCell(ws, value=value.amount)
        c.number_format = YUAN_FORMAT
    elif isinstance(value, bool):
        return cell(ws, YES if value else NO)
    elif isinstance(value, str):
        text = clean_text(value)
        c = WriteOnlyCell(ws, value=None)
        c.value = text
        c.data_type = "s"  # openpyxl would store a text starting with "=" as a formula
        if is_dangerous(text):
            c.quotePrefix = True  # Excel keeps it text when someone edits the cell
    elif isinstance(value, dt.datetime):
        c = WriteOnlyCell(ws, value=value if value.tzinfo is None else _naive_beijing(value))
        c.number_format = DATETIME_FORMAT
    elif isinstance(value, dt.date):
        c = WriteOnlyCell(ws, value=value)
        c.number_format = DATE_FORMAT
    elif value is None or isinstance(value, (int, float, Decimal)):  # floats: shares, never money
        c = WriteOnlyCell(ws, value=value)
    else:  # anything else is shown as its text, never interpreted
        return cell(ws, str(value))
    return c


def add_sheet(wb: Workbook, title: str, headers: Sequence[str], widths: Sequence[int] | dict[int, int] = (),
              default_width: int | None = None):
    """A sheet with a bold, frozen header row and column widths (by position, or {column: width})."""
    ws = wb.create_sheet(title)
    ws.freeze_panes = "A2" if headers else None
    sized = dict(enumerate(widths, start=1)) if not isinstance(widths, dict) else widths
    for col in range(1, max([len(headers), *sized]) + 1):
        width = sized.get(col, default_width)
        if width:
            ws.column_dimensions[get_column_letter(col)].width = width
    if headers:
        row = []
        for h in headers:
            c = cell(ws, h)
            c.font = Font(bold=True)
            c.alignment = Alignment(vertical="center")
            row.append(c)
        ws.append(row)
    return ws


def append(ws, values: Iterable[Any]) -> None:
    """Append one row through :func:`cell`."""
    ws.append([cell(ws, v) for v in values])


def widths_of(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[int]:
    """Each column's width from its header and the rows given (Chinese counted twice), within bounds."""
    out = []
    for i, h in enumerate(headers):
        longest = max([display_width(str(h))] + [display_width(shown(r[i])) for r in rows if i < len(r)])
        out.append(min(MAX_WIDTH, max(MIN_WIDTH, longest + 2)))
    return out


def write_sheet(wb: Workbook, title: str, headers: Sequence[str], rows: Iterable[Iterable[Any]],
                widths: dict[int, int] | None = None, autofilter: bool = True):
    """The one way a table becomes a sheet: Chinese title and headers, bold frozen header, widths measured from the
    first rows (``widths`` overrides some, {column from 1: width}), autofilter over the rows; streams in a
    write-only workbook. Returns (sheet, rows written)."""
    it = iter(rows)
    first: list[list[Any]] = []
    for r in it:
        first.append(list(r))
        if len(first) >= WIDTH_SAMPLE:
            break
    measured = widths_of(headers, first)
    ws = add_sheet(wb, title, headers, {**dict(enumerate(measured, start=1)), **(widths or {})})
    n = 0
    for r in itertools.chain(first, it):
        append(ws, r)
        n += 1
    if autofilter and headers:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{n + 1}"
    return ws, n


def dropdown(ws, column: int, source: str, first_row: int = 2, last_row: int = 1_000, prompt: str = "",
             title: str = "") -> None:
    """A list validation (Excel's dropdown) on ``column`` from ``source`` (a range such as ``'代码表'!$A$2:$A$15``);
    another value is refused with a message in Chinese."""
    from openpyxl.worksheet.datavalidation import DataValidation

    letter = get_column_letter(column)
    dv = DataValidation(type="list", formula1=source, allow_blank=True, showDropDown=False,
                        showErrorMessage=True, errorTitle="不在可选范围内", error="请从下拉列表中选择",
                        showInputMessage=bool(prompt), promptTitle=title[:32] or None, prompt=prompt[:255] or None)
    dv.add(f"{letter}{first_row}:{letter}{last_row}")
    ws.add_data_validation(dv)


def new_sheet(wb: Workbook, title: str):
    """An empty sheet (for :func:`code_list`)."""
    return wb.create_sheet(title)


def code_list(ws, column: int, header: str, name_header: str, values: Sequence[tuple[str, str]]) -> None:
    """The codes a dropdown offers in ``column`` (as text, so 530102 stays a code) and their names beside them."""
    from openpyxl.styles import Font

    for col, title in ((column, header), (column + 1, name_header)):
        if title:
            ws.cell(row=1, column=col, value=clean_text(title)).font = Font(bold=True)
    for i, (value, name) in enumerate(values, start=2):
        c = ws.cell(row=i, column=column)
        c.value, c.data_type = clean_text(value), "s"
        if name:
            n = ws.cell(row=i, column=column + 1)
            n.value, n.data_type = clean_text(name), "s"
    ws.column_dimensions[get_column_letter(column)].width = max(
        [display_width(header) + 2] + [display_width(v) + 2 for v, _ in values] + [MIN_WIDTH])
    if name_header:
        ws.column_dimensions[get_column_letter(column + 1)].width = min(MAX_WIDTH, max(
            [display_width(name_header) + 2] + [display_width(n) + 2 for _, n in values]))
    ws.freeze_panes = "A2"


def code_range(sheet: str, column: int, n: int) -> str:
    """The absolute range of ``n`` codes under the header of ``column`` on ``sheet`` (a dropdown's source)."""
    letter = get_column_letter(column)
    return f"'{sheet}'!${letter}$2:${letter}${n + 1}"


def mark_example(ws, row: int, columns: int) -> None:
    """Show row ``row`` as an example: grey italics on a pale fill."""
    from openpyxl.styles import PatternFill

    for col in range(1, columns + 1):
        c = ws.cell(row=row, column=col)
        c.font = Font(italic=True, color="808080")
        c.fill = PatternFill("solid", fgColor="F2F2F2")


def to_bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def table(title: str, headers: Sequence[str], rows: Iterable[Iterable[Any]],
          widths: dict[int, int] | None = None) -> bytes:
    """A one-sheet workbook, the common case of the page exports (:func:`write_sheet`)."""
    wb = new_workbook()
    write_sheet(wb, title, headers, rows, widths)
    return to_bytes(wb)


# -- CSV ---------------------------------------------------------------------------------------------


def csv_encoding(name: str = "utf-8") -> str:
    """The codec of a CSV for ``name`` as people say it: utf-8 (written with a BOM) or gbk (written as GB18030)."""
    try:
        return CSV_ENCODINGS[name.strip().lower().replace("_", "-")]
    except KeyError:
        raise ValueError(f"unknown CSV encoding '{name}' (utf-8 or gbk) / 不支持的编码（可选 utf-8 或 gbk）") from None


def _csv_value(value: Any) -> Any:
    if isinstance(value, Yuan):
        return f"{value.amount:.2f}"  # yuan with two decimals, no ¥ or thousands separator: a number when read back
    if isinstance(value, (bool, dt.date, dt.datetime)):
        return shown(value)
    if isinstance(value, str):
        return csv_text(value)
    return value


def write_csv(out: IO[str], headers: Sequence[str], rows: Iterable[Iterable[Any]]) -> int:
    """CSV with every text cell neutralised (numbers stay numbers); returns the number of rows written."""
    w = csv.writer(out)
    w.writerow([_csv_value(h) for h in headers])
    n = 0
    for r in rows:
        w.writerow([_csv_value(v) for v in r])
        n += 1
    return n


def write_csv_file(path, headers: Sequence[str], rows: Iterable[Iterable[Any]], encoding: str = "utf-8") -> int:
    """:func:`write_csv` into a file at ``path``: UTF-8 with a BOM, or GB18030 for ``encoding="gbk"``."""
    with open(path, "w", newline="", encoding=csv_encoding(encoding)) as f:
        return write_csv(f, headers, rows)


def query_rows(cur) -> Iterable[tuple]:
    """A DuckDB cursor's rows, fetched in batches (a large result never sits in memory)."""
    while batch := cur.fetchmany(10_000):
        yield from batch


def query_to_csv(con, sql: str, path, encoding: str = "utf-8") -> int:
    """A DuckDB query streamed into a neutralised CSV (in place of ``COPY … TO``, which writes text as is);
    columns named 金额_分 become 金额（元） in yuan with two decimals, as in the workbook."""
    cur = con.execute(sql)
    headers, fen = money_columns([d[0] for d in cur.description])
    return write_csv_file(path, headers, (from_query(r, fen) for r in query_rows(cur)), encoding)
