"""Every spreadsheet and CSV the project writes is written here, with one look and one safety rule.

The look: bold header row, frozen under the header, amounts as exact numbers (fen / 100 as Decimal) shown
with a ¥ number format, dates as dates. The safety rule (OWASP "CSV injection"): text that people typed —
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
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any, Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

YUAN_FORMAT = '"¥"#,##0.00'
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
MAX_CELL_CHARS = 32_767  # Excel's limit; a longer text would make the file fail to open
TRIGGERS = ("=", "+", "-", "@", "＝", "＋", "－", "＠")
CONTROL_TRIGGERS = ("\t", "\r", "\n")


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


def cell(ws, value: Any):
    """One cell: text as text (never a formula), Yuan as ¥ numbers, dates as dates, numbers as numbers."""
    if isinstance(value, Yuan):
        c = WriteOnlyCell(ws, value=value.amount)
        c.number_format = YUAN_FORMAT
    elif isinstance(value, str):
        text = clean_text(value)
        c = WriteOnlyCell(ws, value=None)
        c.value = text
        c.data_type = "s"  # openpyxl would store a text starting with "=" as a formula
        if is_dangerous(text):
            c.quotePrefix = True  # Excel keeps it text when someone edits the cell
    elif isinstance(value, dt.datetime):
        c = WriteOnlyCell(ws, value=value)
        c.number_format = DATETIME_FORMAT
    elif isinstance(value, dt.date):
        c = WriteOnlyCell(ws, value=value)
        c.number_format = DATE_FORMAT
    elif value is None or isinstance(value, (bool, int, float, Decimal)):  # floats: shares, never money
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
    for col in range(1, len(headers) + 1):
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


def to_bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def table(title: str, headers: Sequence[str], rows: Iterable[Iterable[Any]],
          widths: Sequence[int] | dict[int, int] = (), filter_: bool = False, default_width: int | None = None) -> bytes:
    """A one-sheet workbook, the common case of the page exports."""
    wb = new_workbook()
    ws = add_sheet(wb, title, headers, widths, default_width)
    for r in rows:
        append(ws, r)
    if filter_ and headers:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(ws.max_row, 1)}"
    return to_bytes(wb)


# -- CSV ---------------------------------------------------------------------------------------------


def _csv_value(value: Any) -> Any:
    if isinstance(value, Yuan):
        return str(value.amount)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
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


def write_csv_file(path, headers: Sequence[str], rows: Iterable[Iterable[Any]]) -> int:
    """:func:`write_csv` into a UTF-8 file at ``path``."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        return write_csv(f, headers, rows)


def query_to_csv(con, sql: str, path) -> int:
    """A DuckDB query streamed into a neutralised CSV (in place of ``COPY … TO``, which writes text as is)."""
    cur = con.execute(sql)
    headers = [d[0] for d in cur.description]

    def rows():
        while batch := cur.fetchmany(10_000):
            yield from batch

    return write_csv_file(path, headers, rows())
