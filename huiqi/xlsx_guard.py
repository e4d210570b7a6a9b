"""Check an uploaded .xlsx against hard limits *before* anything inflates it (issue 13, item 3).

An .xlsx is a zip of XML. A few KB can declare a sheet of A1:XFD1048576 (openpyxl pads every row to that
width), one row of 300,000 cells, or shared strings that inflate to hundreds of MB. So before openpyxl
sees the file we read only the zip's directory (entry count and declared sizes) and stream each
worksheet through defusedxml (no DTDs, no entities), counting rows and cells per row and reading the
declared dimension, stopping at the first limit crossed. Memory stays small (each row is dropped once
counted) and the work is bounded by the uncompressed-size limit. zipfile itself refuses an entry that
inflates past its declared size (CRC error), and we count the bytes we read as well.

A refusal names the limit, in Chinese and English.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    file_bytes: int = 10 * MB  # the compressed upload
    entries: int = 500  # files inside the zip
    uncompressed_bytes: int = 100 * MB  # all entries, inflated
    sheet_bytes: int = 60 * MB  # one worksheet's XML, inflated
    shared_strings_bytes: int = 20 * MB  # xl/sharedStrings.xml, inflated
    other_entry_bytes: int = 4 * MB  # styles, workbook, relationships …
    columns: int = 200  # cells in a row, and the last column any cell or the dimension names
    rows: int = 20_001  # the header and 20,000 records


IMPORT = Limits()
REGISTRY = Limits(file_bytes=200 * MB, uncompressed_bytes=2048 * MB, sheet_bytes=1024 * MB,
                  shared_strings_bytes=256 * MB, columns=200, rows=1_048_576)  # a whole Excel sheet


class WorkbookRefused(ValueError):
    """The workbook crosses a limit (``limit`` names which); nothing of it was used."""

    def __init__(self, limit: str, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.limit, self.zh, self.en = limit, zh, en

    def text(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else f"{self.zh} / {self.en}"


def _mb(n: int) -> str:
    return f"{n / MB:g} MB"


def _refuse(limit: str, zh: str, en: str) -> WorkbookRefused:
    return WorkbookRefused(limit, f"工作簿超出限制（{zh}），未导入任何内容", f"workbook refused: {en}; nothing was imported")


_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


def _column(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _ref(ref: str) -> tuple[int, int] | None:
    """(column, row) of a reference such as ``XFD1048576``; None if it is not one."""
    m = _CELL_REF.match(ref.strip())
    return (_column(m.group(1)), int(m.group(2))) if m else None


class _Counted(io.RawIOBase):
    """A zip entry read through a byte counter: stops at ``limit`` whatever the entry claims."""

    def __init__(self, raw, limit: int, what: WorkbookRefused):
        self.raw, self.left, self.what = raw, limit, what

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        data = self.raw.read(min(len(buf), 1 << 16))
        self.left -= len(data)
        if self.left < 0:
            raise self.what
        buf[: len(data)] = data
        return len(data)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _scan_sheet(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> None:
    too_big = _refuse("sheet_bytes", f"工作表解压后超过 {_mb(limits.sheet_bytes)}",
                      f"a worksheet inflates to more than {_mb(limits.sheet_bytes)}")
    rows = cells = 0
    parent = None
    with zf.open(info) as raw:
        stream = io.BufferedReader(_Counted(raw, limits.sheet_bytes, too_big))
        for event, elem in iterparse(stream, events=("start", "end"), forbid_dtd=True):
            tag = _local(elem.tag)
            if event == "start":
                if tag == "c":
                    cells += 1
                    ref = _ref(elem.get("r") or "")
                    if cells > limits.columns or (ref and ref[0] > limits.columns):
                        raise _refuse("columns", f"一行超过 {limits.columns} 个单元格", f"a row has more than {limits.columns} cells")
                elif tag == "row":
                    rows += 1
                    cells = 0
                    number = int(elem.get("r") or rows) if (elem.get("r") or "").isdigit() else rows
                    if rows > limits.rows or number > limits.rows:
                        raise _refuse("rows", f"超过 {limits.rows - 1} 行数据", f"more than {limits.rows - 1} data rows")
                elif tag == "dimension":
                    _check_dimension(elem.get("ref") or "", limits)
                elif tag == "sheetData":
                    parent = elem
            elif tag == "row" and parent is not None:
                parent.clear()  # the row is counted; keep nothing of it


def _check_dimension(ref: str, limits: Limits) -> None:
    last = _ref(ref.split(":")[-1])
    if last and (last[0] > limits.columns or last[1] > limits.rows):
        raise _refuse("dimension", f"声明的区域 {ref} 超过 {limits.columns} 列或 {limits.rows - 1} 行",
                      f"the declared dimension {ref} exceeds {limits.columns} columns or {limits.rows - 1} rows")


def check(source: bytes | str | Path, limits: Limits = IMPORT) -> None:
    """Raise :class:`WorkbookRefused` naming the first limit the workbook crosses; return if it is within all.

    A file that is not a zip at all is left for openpyxl to refuse in its own words."""
    size = len(source) if isinstance(source, (bytes, bytearray)) else Path(source).stat().st_size
    if size > limits.file_bytes:
        raise _refuse("file_bytes", f"文件超过 {_mb(limits.file_bytes)}", f"the file is larger than {_mb(limits.file_bytes)}")
    try:
        zf = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source)
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    except NotImplementedError:  # a zip version or feature Python cannot read (a damaged header): not openable
        raise WorkbookRefused("zip", "文件已损坏或不是可读取的 Excel 工作簿，未导入任何内容",
                              "the file is damaged or not a readable Excel workbook; nothing was imported") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.entries:
            raise _refuse("entries", f"压缩包内超过 {limits.entries} 个文件", f"more than {limits.entries} files in the zip")
        sheets = []
        for i in infos:
            name = i.filename.lower()
            if name.endswith("sharedstrings.xml"):
                if i.file_size > limits.shared_strings_bytes:
                    raise _refuse("shared_strings_bytes", f"共享字符串解压后超过 {_mb(limits.shared_strings_bytes)}",
                                  f"the shared strings inflate to more than {_mb(limits.shared_strings_bytes)}")
            elif name.startswith("xl/worksheets/") and name.endswith(".xml"):
                if i.file_size > limits.sheet_bytes:
                    raise _refuse("sheet_bytes", f"工作表解压后超过 {_mb(limits.sheet_bytes)}",
                                  f"a worksheet inflates to more than {_mb(limits.sheet_bytes)}")
                sheets.append(i)
            elif i.file_size > limits.other_entry_bytes:
                raise _refuse("other_entry_bytes", f"“{i.filename[:60]}”解压后超过 {_mb(limits.other_entry_bytes)}",
                              f"'{i.filename[:60]}' inflates to more than {_mb(limits.other_entry_bytes)}")
        if sum(i.file_size for i in infos) > limits.uncompressed_bytes:
            raise _refuse("uncompressed_bytes", f"解压后超过 {_mb(limits.uncompressed_bytes)}",
                          f"it inflates to more than {_mb(limits.uncompressed_bytes)}")
        for info in sheets:
            try:
                _scan_sheet(zf, info, limits)
            except WorkbookRefused:
                raise
            except (DefusedXmlException, zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError) as e:
                raise WorkbookRefused("xml", "工作表的 XML 无效或含有不允许的实体，未导入任何内容",
                                      f"a worksheet's XML is invalid or uses forbidden entities ({type(e).__name__}); "
                                      "nothing was imported") from None
            except Exception as e:  # ElementTree.ParseError and friends
                raise WorkbookRefused("xml", "工作表的 XML 无效，未导入任何内容",
                                      f"a worksheet's XML is invalid ({type(e).__name__}); nothing was imported") from None
