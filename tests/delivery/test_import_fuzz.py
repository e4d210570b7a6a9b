"""Whatever bytes arrive as a workbook, reading them answers rows or named errors — never an exception
(issue 13: no input can produce a 500). Hypothesis mutates a real workbook: flipped bytes, cut files,
entries renamed or replaced with random XML."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from huiqi.delivery import importer
from tests import hostile_workbooks as H

VALID = H.base(rows=[("招商引资", f"项目{n}") for n in range(5)])
REQUIRED = ("kind", "name")


def _read(data: bytes):
    rows, errors = importer._rows(data, importer.LIST_COLUMNS, REQUIRED)
    assert all(e.field and e.reason for e in errors)
    return rows, errors


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), min_size=1, max_size=8))
def test_flipped_bytes(flips):
    data = bytearray(VALID)
    for at, value in flips:
        data[at] = value
    _read(bytes(data))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, len(VALID)))
def test_cut_files(length):
    _read(VALID[:length])


XML_BITS = st.sampled_from(['<row r="2">', "</row>", '<c r="A2" t="s">', "<v>999999</v>", "</c>", '<c t="inlineStr"><is><t>x',
                            "</t></is>", '<dimension ref="A1:ZZ9"/>', "<sheetData>", "</sheetData>", "&amp;", "<v>1e999</v>",
                            '<c r="A0">', '<row r="-1">', '<c t="d"><v>2024-13-45</v></c>', '<c t="b"><v>7</v></c>'])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(XML_BITS, max_size=30))
@example(['<row r="2">', '<c t="d"><v>2024-13-45</v></c>', "</row>"])  # openpyxl raised ValueError mid-way (a 500)
@example(['<row r="2">', '<c r="A2" t="s">', "<v>999999</v>", "</c>", "</row>"])  # IndexError: no such shared string
def test_random_sheet_xml(bits):
    body = "".join(bits)
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{H.NS}"><sheetData>'
             f'<row r="1"><c t="inlineStr"><is><t>清单类别</t></is></c><c t="inlineStr"><is><t>项目名称</t></is></c></row>'
             f"{body}</sheetData></worksheet>")
    _read(H.rezip(VALID, {H.SHEET: sheet.encode()}))


def test_a_corrupt_cell_is_named_by_row_and_nothing_is_read():
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{H.NS}"><sheetData>'
             f'<row r="1"><c t="inlineStr"><is><t>清单类别</t></is></c><c t="inlineStr"><is><t>项目名称</t></is></c></row>'
             '<row r="2"><c t="inlineStr"><is><t>招商引资</t></is></c></row>'
             '<row r="3"><c t="d"><v>2024-13-45</v></c></row></sheetData></worksheet>')
    rows, [error] = _read(H.rezip(VALID, {H.SHEET: sheet.encode()}))
    assert rows == [] and error.row == 3 and error.field == "file" and "第 3 行" in error.reason


def test_the_registry_reader_names_a_corrupt_cell(tmp_path):
    import duckdb
    import pytest

    from huiqi.batch.inputs import RegistryError, register_registry

    book = H.base(header=["entity_id", "name"], rows=[("E1", "甲")])
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{H.NS}"><sheetData>'
             '<row r="1"><c t="inlineStr"><is><t>entity_id</t></is></c></row>'
             '<row r="2"><c t="d"><v>2024-13-45</v></c></row></sheetData></worksheet>')
    path = tmp_path / "registry.xlsx"
    data = H.rezip(book, {H.SHEET: sheet.encode(), "xl/workbook.xml": None})
    import io
    import zipfile

    wb_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/workbook.xml").decode().replace('name="Sheet"', 'name="entities"')
    path.write_bytes(H.rezip(data, {"xl/workbook.xml": wb_xml.encode()}))
    with pytest.raises(RegistryError, match="cannot be read"):
        register_registry(duckdb.connect(), path)
    (tmp_path / "junk.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(RegistryError, match="not an Excel"):
        register_registry(duckdb.connect(), tmp_path / "junk.xlsx")


def test_a_zip_header_naming_a_version_python_cannot_read_is_refused_by_name():
    """Found by test_flipped_bytes in CI: a flipped 'version needed' byte made zipfile raise NotImplementedError,
    which no reader caught (a 500 for an upload); the guard now refuses the file as damaged."""
    from huiqi import xlsx_guard

    data = bytearray(VALID)
    data[data.find(b"PK\x01\x02") + 6] = 64  # the central directory's first entry: "needs zip 6.4"
    try:
        xlsx_guard.check(bytes(data))
        raise AssertionError("a damaged workbook was not refused")
    except xlsx_guard.WorkbookRefused as e:
        assert "损坏" in e.zh and "damaged" in e.en
    _read(bytes(data))  # and the importer reports it instead of raising
