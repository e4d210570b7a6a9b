"""Hostile .xlsx files built in the test (issue 13, item 3): each small on the wire, each crossing one limit.

Shared by the importer tests (tests/delivery/test_import_limits.py), the registry test and the
concurrency test in the browser server (tests/web/test_import_off_loop.py).
"""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER = ["清单类别", "项目名称"]


def base(header=HEADER, rows=(("招商引资", "正常项目"),)) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def rezip(data: bytes, replace: dict[str, object]) -> bytes:
    """``data`` with entries replaced: bytes, or a callable writing chunks into the open entry."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        names = [i.filename for i in src.infolist()]
        for name in names + [n for n in replace if n not in names]:
            new = replace.get(name)
            if new is None:
                z.writestr(name, src.read(name))
            elif callable(new):
                with z.open(name, "w", force_zip64=True) as f:
                    new(f)
            else:
                z.writestr(name, new)
    return out.getvalue()


def _sheet(rows_xml: str, dimension: str = "A1:B2") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}"><dimension ref="{dimension}"/>'
            f"<sheetData>{rows_xml}</sheetData></worksheet>").encode()


SHEET = "xl/worksheets/sheet1.xml"


def shared_strings_bomb(megabytes: int = 300) -> bytes:
    """Shared strings that inflate to ``megabytes`` MB (the issue's was 656 KB → 300 MB)."""
    def write(f):
        f.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{NS}">'.encode())
        chunk = ("<si><t>" + "甲" * 1000 + "</t></si>").encode() * 100
        for _ in range(megabytes * 1024 * 1024 // len(chunk) + 1):
            f.write(chunk)
        f.write(b"</sst>")
    return rezip(base(), {"xl/sharedStrings.xml": write})


def wide_row(cells: int = 300_000) -> bytes:
    """One row of ``cells`` cells (the issue's: 35 KB, ~250 MB once read)."""
    row = '<row r="2">' + "".join(f"<c><v>{i % 10}</v></c>" for i in range(cells)) + "</row>"
    return rezip(base(), {SHEET: _sheet('<row r="1"><c t="inlineStr"><is><t>清单类别</t></is></c></row>' + row)})


def huge_dimension() -> bytes:
    """A tiny sheet declaring A1:XFD1048576 (openpyxl pads every row to 16,384 cells)."""
    return rezip(base(), {SHEET: _sheet('<row r="1"><c t="inlineStr"><is><t>清单类别</t></is></c></row>',
                                        "A1:XFD1048576")})


def far_cell() -> bytes:
    """No dimension lie, but one cell at column XFD."""
    return rezip(base(), {SHEET: _sheet('<row r="1"><c r="XFD1"><v>1</v></c></row>', "A1:A1")})


def many_rows(rows: int) -> bytes:
    body = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, rows + 1))
    return rezip(base(), {SHEET: _sheet(body, "A1:A1")})  # the dimension understates: the rows are counted


def far_row() -> bytes:
    """Two rows, the second numbered 1,000,000."""
    return rezip(base(), {SHEET: _sheet('<row r="1"><c><v>1</v></c></row><row r="1000000"><c><v>1</v></c></row>', "A1:A2")})


def entity_expansion() -> bytes:
    """A "billion laughs" document type in the sheet XML."""
    lol = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
           ']>' f'<worksheet xmlns="{NS}"><sheetData><row r="1"><c t="inlineStr"><is><t>&lol2;</t></is></c></row>'
           "</sheetData></worksheet>")
    return rezip(base(), {SHEET: lol.encode()})


def big_styles(megabytes: int = 8) -> bytes:
    def write(f):
        f.write(f'<?xml version="1.0"?><styleSheet xmlns="{NS}"><!--'.encode())
        for _ in range(megabytes):
            f.write(b"x" * 1024 * 1024)
        f.write(b"--></styleSheet>")
    return rezip(base(), {"xl/styles.xml": write})


# name → (workbook, the limit it crosses)
HOSTILE = {
    "shared_strings": (lambda: shared_strings_bomb(30), "shared_strings_bytes"),
    "wide_row": (wide_row, "columns"),
    "dimension": (huge_dimension, "dimension"),
    "far_cell": (far_cell, "columns"),
    "far_row": (far_row, "rows"),
    "rows": (lambda: many_rows(20_002), "rows"),
    "entities": (entity_expansion, "xml"),
    "styles": (big_styles, "other_entry_bytes"),
    "file_size": (lambda: b"PK" + bytes(11 * 1024 * 1024), "file_bytes"),
}
