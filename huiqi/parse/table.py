"""One tolerant reader for every table an official hands in — an .xlsx workbook or a CSV file.

It finds the table where a person would: on any sheet that has the columns (the sheet's name helps, it is not
required), under title rows (「重大项目清单」), with a header of one row or two (a merged group cell over
its sub-columns is flattened: 「投资额（万元）」 over 「总投资」 reads as both). Column names are matched after
full-width characters, spaces, ``*`` marks and a unit in brackets are taken off, against every name a column is
known by (Chinese, English, synonyms: a table kept as data by each caller). CSV is read as UTF-8 (with or without
a BOM) or, failing that, GB18030 (a superset of GBK, what Excel saves on Chinese Windows).

Every cell is normalised by its column's kind (:mod:`huiqi.parse.values`); each problem names the sheet, the
row and the column header the official wrote, a row's problems are all listed, and a bad row never loses the
good ones. Workbook limits (:mod:`huiqi.xlsx_guard`) are checked before anything is inflated.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping, Sequence

from huiqi import xlsx_guard
from huiqi.parse import values as V

HEADER_SCAN = 30  # rows looked at for the header (title rows, notes, a blank line above it)
TOTAL_WORDS = frozenset({"合计", "总计", "小计", "total", "subtotal"})


@dataclass(frozen=True)
class Spec:
    """One column the reader looks for: ``names`` are matched (the first is the one shown to people)."""

    field: str
    names: tuple[str, ...]
    kind: str = "text"  # text, code, money, date, bool, choice, int, raw
    required: bool = False
    choices: Mapping[str, str] = field(default_factory=dict)  # choice: code → Chinese word
    synonyms: Mapping[str, str] = field(default_factory=dict)  # choice: another word → code


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int  # the sheet's own row number
    field: str
    column: str  # the header as the official wrote it ('' for the whole file)
    zh: str
    en: str

    def text(self, lang: str = "zh") -> str:
        where = (f"工作表「{self.sheet}」第{self.row}行" + (f"「{self.column}」" if self.column else "")) if lang == "zh" \
            else f"sheet '{self.sheet}', row {self.row}" + (f", column '{self.column}'" if self.column else "")
        return f"{where}：{self.zh}" if lang == "zh" else f"{where}: {self.en}"


class TableRefused(ValueError):
    """The whole file cannot be read (limit crossed, not a workbook, no sheet with the columns)."""

    def __init__(self, zh: str, en: str, limit: str | None = None, row: int = 0, field: str = "file"):
        super().__init__(f"{en} / {zh}")
        self.zh, self.en, self.limit, self.row, self.field = zh, en, limit, row, field


@dataclass
class Table:
    sheet: str
    header_row: int  # the last header row (data starts below it)
    columns: dict[str, str]  # field → header as written
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # good rows, normalised
    problems: list[Problem] = field(default_factory=list)

    def header_of(self, field_name: str) -> str:
        return self.columns.get(field_name, field_name)


# -- names -----------------------------------------------------------------------------------------


def norm_header(text: Any) -> str:
    """A header as it is matched: half-width, no spaces or line breaks, no ``*``, no unit or 必填 in brackets."""
    t = V.half_width(str(text or "")).lower()
    t = re.sub(r"[(\[](?:亿元|万元|元|亿|万|必填|选填|可选|required|optional|yuan)[)\]]", "", t)
    return re.sub(r"[\s*＊:：]+", "", t)


def _index(specs: Sequence[Spec]) -> dict[str, Spec]:
    out: dict[str, Spec] = {}
    for s in specs:
        for n in (*s.names, s.field):
            out.setdefault(norm_header(n), s)
    return out


# -- reading the grid ------------------------------------------------------------------------------


def _is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def decode_csv(data: bytes) -> str:
    """UTF-8 (BOM or not), else GB18030 — the encodings Excel and WPS write CSV in."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise TableRefused("无法识别文件编码（请另存为 UTF-8 或 GBK 编码的 CSV，或 Excel 工作簿）",
                           "unknown text encoding (save as CSV in UTF-8 or GBK, or as an Excel workbook)") from None


def _csv_grid(data: bytes, limits: xlsx_guard.Limits) -> Iterator[list[Any]]:
    if len(data) > limits.file_bytes:
        raise TableRefused(f"文件超过 {limits.file_bytes // xlsx_guard.MB} MB", f"file larger than "
                           f"{limits.file_bytes // xlsx_guard.MB} MB", limit="file_bytes")
    text = decode_csv(data)
    sample = text[:4096]
    delimiter = max(",\t;", key=sample.count) if sample else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for n, row in enumerate(reader, start=1):
            if n > limits.rows:
                raise TableRefused(f"超过 {limits.rows - 1} 行", f"more than {limits.rows - 1} rows", limit="rows", row=n)
            if len(row) > limits.columns:
                raise TableRefused(f"第{n}行超过 {limits.columns} 列", f"row {n} has more than {limits.columns} columns",
                                   limit="columns", row=n)
            yield row
    except csv.Error:
        raise TableRefused("CSV 文件格式有误（引号不成对或字段过长）", "malformed CSV (unbalanced quotes or an over-long field)") from None


def _sheets(data: bytes, limits: xlsx_guard.Limits, name: str) -> Iterator[tuple[str, Iterator[Sequence[Any]]]]:
    if not _is_xlsx(data):
        yield (name or "CSV"), _csv_grid(data, limits)
        return
    try:  # the limits first: nothing is inflated before they pass
        xlsx_guard.check(data, limits)
    except xlsx_guard.WorkbookRefused as e:
        raise TableRefused(e.zh, e.en, limit=e.limit) from None
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheets = list(wb.worksheets)
    except Exception:
        raise TableRefused("不是有效的 Excel 文件（.xlsx）", "not an Excel .xlsx workbook") from None
    for ws in sheets:
        yield ws.title, _xlsx_rows(ws, limits)


def _xlsx_rows(ws, limits: xlsx_guard.Limits) -> Iterator[Sequence[Any]]:
    n = 0
    try:  # openpyxl reads lazily: a corrupt cell (a date in month 13, a missing shared string) raises mid-way
        for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
            if n > limits.rows:
                raise TableRefused(f"超过 {limits.rows - 1} 行", f"more than {limits.rows - 1} rows", limit="rows", row=n)
            yield row or ()
    except TableRefused:
        raise
    except Exception:
        row = n + 1
        raise TableRefused(f"工作表「{ws.title}」第 {row} 行附近有无法读取的单元格，未导入任何内容",
                           f"a cell near row {row} of sheet '{ws.title}' cannot be read; nothing was imported",
                           row=row) from None


# -- the header ------------------------------------------------------------------------------------


def _text(v: Any) -> str:
    return "" if v is None else str(v).strip()


def _header_at(rows: list[Sequence[Any]], i: int, index: dict[str, Spec]) -> tuple[int, dict[int, tuple[Spec, str]], int]:
    """(score, column → (spec, header as written), rows the header takes) for a header starting at row ``i``."""
    best: tuple[int, dict[int, tuple[Spec, str]], int] = (0, {}, 1)
    top = [_text(v) for v in rows[i]]
    for depth in (1, 2):
        if depth == 2 and i + 1 >= len(rows):
            break
        found: dict[int, tuple[Spec, str]] = {}
        used: set[str] = set()
        sub = [_text(v) for v in rows[i + 1]] if depth == 2 else []
        parent = ""
        for c in range(max(len(top), len(sub))):
            own = top[c] if c < len(top) else ""
            child = sub[c] if c < len(sub) else ""
            parent = own or (parent if child else "")  # a merged group cell spans the sub-columns under it
            tries = [(child, child), (parent + child, f"{parent} · {child}"), (parent, parent)] if child else [(own, own)]
            for key, shown in tries:
                spec = index.get(norm_header(key)) if key else None
                if spec is not None and spec.field not in used:
                    found[c] = (spec, shown)
                    used.add(spec.field)
                    break
        if len(found) > best[0]:
            best = (len(found), found, depth)
    return best


def _units(rows: list[Sequence[Any]], i: int, depth: int, col: int) -> int:
    for r in range(i, i + depth):
        unit = V.header_unit(_text(rows[r][col]) if col < len(rows[r]) else "")
        if unit != 1:
            return unit
    if depth == 2:  # the unit may sit on the merged group cell to the left
        for c in range(col, -1, -1):
            t = _text(rows[i][c]) if c < len(rows[i]) else ""
            if t:
                return V.header_unit(t)
    return 1


# -- normalising a row -----------------------------------------------------------------------------


def _normalise(spec: Spec, value: Any, unit: int, lookups: dict[str, dict[str, str]] | None = None) -> Any:
    if isinstance(value, str):
        if "\x00" in value:  # PostgreSQL cannot store it in text (psycopg raises): refused as the cell's problem
            raise V.CellError("含有空字符（U+0000），无法保存", "contains a NUL character (U+0000), which cannot be stored")
        value = value.strip()
        if value in ("", "-", "—", "/", "无") and spec.kind not in ("bool", "text", "raw"):
            return None
        if value == "":
            return None
    if spec.kind == "money":
        return V.money_fen(value, spec.field, unit=unit)
    if spec.kind == "date":
        return V.date_value(value)
    if spec.kind == "bool":
        return V.yes_no(value)
    if spec.kind == "code":
        return V.code(value)
    if spec.kind == "choice":
        lookup = None
        if lookups is not None:
            lookup = lookups.get(spec.field)
            if lookup is None:
                lookup = lookups[spec.field] = V.choice_lookup(spec.choices, spec.synonyms)
        return V.choice(value, spec.choices, spec.synonyms, lookup)
    if spec.kind == "int":
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            return int(value)
        text = V.half_width(str(value)).replace(",", "")
        if not re.fullmatch(r"-?\d{1,15}", text):
            raise V.CellError(f"「{str(value)[:30]}」不是整数", f"'{str(value)[:30]}' is not a whole number")
        return int(text)
    if spec.kind == "raw":
        return value
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return V.half_width(str(value)) if not isinstance(value, str) else value


def read(data: bytes, specs: Sequence[Spec], *, limits: xlsx_guard.Limits = xlsx_guard.IMPORT, name: str = "",
         sheet_names: Iterable[str] = ()) -> Table:
    """The one table of ``data`` that has ``specs``' columns: its good rows (normalised) and every problem.
    Raises :class:`TableRefused` when no sheet has the required columns, naming what is missing."""
    tables = read_many(data, {"": specs}, limits=limits, name=name, sheet_names={"": tuple(sheet_names)})
    return tables[""]


def read_many(data: bytes, kinds: Mapping[str, Sequence[Spec]], *, limits: xlsx_guard.Limits = xlsx_guard.IMPORT,
              name: str = "", sheet_names: Mapping[str, Sequence[str]] | None = None,
              optional: Iterable[str] = (), keep_bad: bool = False) -> dict[str, Table]:
    """Each table of ``kinds`` (name → specs) from the sheet that fits it best. Tables in ``optional`` may be
    absent; a required one that no sheet has raises :class:`TableRefused` naming its missing columns.
    ``keep_bad``: a row with problems is kept too, its bad cells as written (for a caller that rejects rows itself)."""
    sheet_names = sheet_names or {}
    indexes = {k: _index(specs) for k, specs in kinds.items()}
    out: dict[str, Table] = {}
    best_miss: dict[str, tuple[int, str, list[str]]] = {}
    for title, grid in _sheets(data, limits, name):
        head: list[Sequence[Any]] = []
        for row in grid:
            head.append(row)
            if len(head) >= HEADER_SCAN:
                break
        choice = None
        for kind, specs in kinds.items():
            if kind in out:
                continue
            named = norm_header(title) in {norm_header(n) for n in (kind, *sheet_names.get(kind, ())) if n}
            for i in range(len(head)):
                score, found, depth = _header_at(head, i, indexes[kind])
                if not score:
                    continue
                present = {s.field for s, _ in found.values()}
                missing = [s.names[0] for s in specs if s.required and s.field not in present]
                rank = (not missing, named, score)
                if choice is None or rank > choice[0]:
                    choice = (rank, kind, i, found, depth, missing)
        if choice is None:
            continue
        rank, kind, i, found, depth, missing = choice
        if missing:
            prev = best_miss.get(kind)
            if prev is None or len(missing) < len(prev[2]):
                best_miss[kind] = (rank[2], title, missing)
            continue
        units = {c: _units(head, i, depth, c) for c in found}
        table = Table(title, i + depth, {s.field: shown for s, shown in found.values()})
        rest = head[i + depth:]
        _read_rows(table, found, units, kinds[kind], rest, grid, start=i + depth + 1, keep_bad=keep_bad)
        out[kind] = table
    for kind, specs in kinds.items():
        if kind in out or kind in optional:
            continue
        if kind in best_miss:
            _, title, missing = best_miss[kind]
            raise TableRefused(f"工作表「{title}」缺少列：{'、'.join(missing)}",
                               f"sheet '{title}' lacks the columns: {'、'.join(missing)}", row=1, field="header")
        wanted = "、".join(s.names[0] for s in specs if s.required)
        raise TableRefused(f"不是含有所需列的 Excel 工作簿或 CSV 文件（需要：{wanted}）",
                           f"not an Excel workbook or CSV file with the columns needed ({wanted})")
    return out


def _read_rows(table: Table, found: dict[int, tuple[Spec, str]], units: dict[int, int], specs: Sequence[Spec],
               first: list[Sequence[Any]], grid: Iterator[Sequence[Any]], start: int, keep_bad: bool = False) -> None:
    def all_rows():
        yield from first
        yield from grid

    required = [s for s in specs if s.required]
    lookups: dict[str, dict[str, str]] = {}
    for n, values in enumerate(all_rows(), start=start):
        cells = [v for v in values if not (v is None or (isinstance(v, str) and not v.strip()))]
        if not cells:
            continue
        if any(isinstance(v, str) and V.half_width(v).lower().replace(" ", "") in TOTAL_WORDS for v in cells[:2]):
            continue  # a 合计 row under the data
        record: dict[str, Any] = {}
        problems: list[Problem] = []
        for c, (spec, shown) in found.items():
            raw = values[c] if c < len(values) else None
            try:
                record[spec.field] = _normalise(spec, raw, units[c], lookups)
            except V.CellError as e:
                problems.append(Problem(table.sheet, n, spec.field, shown, e.zh, e.en))
                record[spec.field] = raw
        for spec in required if not keep_bad else ():  # a caller keeping bad rows checks required cells itself
            if record.get(spec.field) in (None, "") and not any(p.field == spec.field for p in problems):
                problems.append(Problem(table.sheet, n, spec.field, table.header_of(spec.field), "必填", "required"))
        if problems:
            table.problems.extend(problems)
        if keep_bad or not problems:
            table.rows.append((n, record))
