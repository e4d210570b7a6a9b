"""Hostile workbooks are refused before they are inflated, naming the limit, and nothing is stored
(issue 13, item 3), on SQLite and PostgreSQL; the registry reader refuses them too."""

from __future__ import annotations

import tracemalloc

import pytest

from huiqi import xlsx_guard
from huiqi.delivery import importer
from huiqi.storage.models_delivery import ListEntry
from huiqi.workflow import accounts
from tests import hostile_workbooks as H

NAMES = {  # the limit each refusal names, in Chinese and in English
    "shared_strings_bytes": ("共享字符串", "shared strings"), "columns": ("单元格", "cells"),
    "dimension": ("声明的区域", "declared dimension"), "rows": ("行", "rows"), "xml": ("XML", "XML"),
    "other_entry_bytes": ("styles.xml", "styles.xml"), "file_bytes": ("文件超过", "larger than"),
}


@pytest.fixture(scope="module")
def built():
    return {name: make() for name, (make, _) in H.HOSTILE.items()}


@pytest.mark.parametrize("name", list(H.HOSTILE))
def test_each_hostile_workbook_is_refused_naming_its_limit_and_nothing_is_stored(db, built, name):
    data, limit = built[name], H.HOSTILE[name][1]
    with db.transaction() as s:
        user = accounts.create_user(s, "fgw", "password-123", "reviewer", department="市发展改革委")
        tracemalloc.start()
        result = importer.import_list_entries(s, user, data)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert result.refused == limit and result.imported == 0
        [error] = result.errors
        zh, en = NAMES[limit]
        assert error.field == "file" and zh in error.reason and en in error.reason, error.reason
        assert error.reason.index(zh) < error.reason.index(" / ")  # Chinese first
        assert peak < 30 * 1024 * 1024, f"{name}: {peak / 1e6:.0f} MB while refusing"  # nothing was inflated
        assert s.query(ListEntry).count() == 0


def test_a_workbook_within_the_limits_still_imports(db):
    with db.transaction() as s:
        user = accounts.create_user(s, "fgw", "password-123", "reviewer", department="市发展改革委")
        rows = [("招商引资", f"项目{n}") for n in range(50)]
        result = importer.import_list_entries(s, user, H.base(rows=rows))
        assert result.refused is None
        assert s.query(ListEntry).count() + len(result.errors) == 50


def test_small_limits_name_entries_and_total_size():
    data = H.base()
    with pytest.raises(xlsx_guard.WorkbookRefused) as e:
        xlsx_guard.check(data, xlsx_guard.Limits(entries=3))
    assert e.value.limit == "entries"
    with pytest.raises(xlsx_guard.WorkbookRefused) as e:
        xlsx_guard.check(data, xlsx_guard.Limits(uncompressed_bytes=1000))
    assert e.value.limit == "uncompressed_bytes" and "解压后" in e.value.zh


def test_the_registry_reader_refuses_a_hostile_workbook(tmp_path, built):
    import duckdb

    from huiqi.batch.inputs import RegistryError, register_registry

    path = tmp_path / "registry.xlsx"
    path.write_bytes(built["dimension"])
    with pytest.raises(RegistryError, match="declared dimension") as e:
        register_registry(duckdb.connect(), path)
    assert "声明的区域" in str(e.value)
