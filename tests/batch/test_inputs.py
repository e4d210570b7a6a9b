"""CSV and Excel registries; bad rows go to rejects with a reason, good rows still run; pools never overspend."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.batch.screen import screen
from huiqi.batch.validate import uscc_ok_sql
from huiqi.catalogue import get_policy
from huiqi.standards.uscc import is_valid_uscc, make_uscc

POLICY = get_policy()
GOOD = "91530100MA6K3YXF8W"
ENTITY_HEADER = ["entity_id", "kind", "name", "credit_code", "district", "industry", "in_statistics_db", "size_class"]


def _csv(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def _code(n: int) -> str:
    body = f"91530100{n:09d}"
    return make_uscc(body)


@pytest.fixture
def messy(tmp_path):
    reg = tmp_path / "reg"
    reg.mkdir()
    _csv(reg / "entities.csv", ENTITY_HEADER, [
        ["A1", "enterprise", "好企业", GOOD, "530111", "3435", "是", "small"],
        ["A2", "enterprise", "坏校验码", GOOD[:-1] + "X", "530111", "3435", "true", "small"],
        ["A3", "enterprise", "北京区划", _code(3), "110101", "3435", "true", "small"],
        ["A4", "enterprise", "未知行业", _code(4), "530111", "9999", "true", "small"],
        ["A5", "alien", "未知类型", _code(5), "530111", "3435", "true", "small"],
        ["A6", "enterprise", "缺代码", "", "530111", "3435", "true", "small"],
        ["A1", "enterprise", "重复编号", _code(7), "530111", "3435", "true", "small"],
        ["B1", "individual", "张三", "", "530102", "", "", ""],
    ])
    _csv(reg / "scale_entries.csv", ["entity_id", "id", "date", "path"], [
        ["A1", "s1", "2023-06-15", "small_to_scale"],
        ["A1", "s2", "2023-02-30", "small_to_scale"],  # impossible date
        ["A2", "s1", "2023-06-15", "small_to_scale"],  # its entity was rejected
        ["ZZ", "s1", "2023-06-15", "small_to_scale"],  # no such entity
    ])
    _csv(reg / "compute_claims.csv", ["entity_id", "id", "date", "category", "spend"], [
        ["A1", "c1", "2024-05-01", "compute_rental", "100000.00"],
        ["A1", "c2", "2024-05-02", "compute_rental", "-5"],
        ["A1", "c3", "2024-05-03", "compute_rental", "10.001"],
        ["A1", "c4", "2024-05-04", "gpu", "10"],
    ])
    _csv(reg / "vehicles.csv", ["entity_id", "id", "date", "price_incl_vat"], [  # required column new_energy missing
        ["B1", "v1", "2024-05-01", "226000"],
    ])
    return reg


def test_bad_rows_are_rejected_with_reasons_and_good_rows_run(messy, tmp_path):
    out = tmp_path / "out"
    result = screen(POLICY, messy, dt.date(2024, 6, 30), out)
    with (out / "rejects.csv").open(encoding="utf-8-sig") as f:  # Chinese headers (huiqi.batch.workbook)
        rejects = {(r["表"], r["行号"]): r["原因"] for r in csv.DictReader(f)}
    expected = {
        ("entities", "3"): "credit_code", ("entities", "4"): "district", ("entities", "5"): "industry",
        ("entities", "6"): "kind", ("entities", "7"): "credit_code", ("scale_entries", "3"): "date",
        ("scale_entries", "4"): "entity_id", ("scale_entries", "5"): "entity_id", ("compute_claims", "3"): "spend",
        ("compute_claims", "4"): "spend", ("compute_claims", "5"): "category", ("vehicles", "2"): "new_energy",
    }
    for key, field in expected.items():
        assert key in rejects and rejects[key].startswith(field), (key, rejects.get(key))
    assert ("entities", "8") in rejects and "重复" in rejects[("entities", "8")]  # the second A1
    assert result.rejected == len(rejects) == 13
    con = duckdb.connect()
    rows = con.execute(f"SELECT provision_id, event_id, status, amount_fen FROM '{out}/entitlements.parquet' "
                       "WHERE entity_id = 'A1' AND status = 'eligible'").fetchall()
    assert ("m03.small_to_scale_award", "s1", "eligible", 10_000_000) in rows  # 在库 "是" read as true
    assert ("m07.compute_voucher", "c1", "eligible", 3_000_000) in rows
    assert (out / "screen.xlsx").stat().st_size > 0


def test_duplicate_ids_are_rejected_not_silently_merged(messy, tmp_path):
    out = tmp_path / "out"
    screen(POLICY, messy, dt.date(2024, 6, 30), out)
    con = duckdb.connect()
    names = con.execute(f"SELECT count(*) FROM '{out}/entitlements.parquet' WHERE entity_id = 'A1'").fetchone()[0]
    assert names > 0  # the first A1 runs; the duplicate row is in rejects


def test_excel_workbook_registry(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "entities"
    ws.append(ENTITY_HEADER)
    ws.append(["X1", "enterprise", "Excel企业", GOOD, "530111", "6513", "否", "micro"])
    ws.append(["X2", "enterprise", "坏代码", "123", "530111", "6513", "否", "micro"])
    claims = wb.create_sheet("compute_claims")
    claims.append(["entity_id", "id", "date", "category", "spend"])
    claims.append(["X1", "c1", dt.date(2024, 7, 1), "model_service", 2_000_000])
    path = tmp_path / "registry.xlsx"
    wb.save(path)
    out = tmp_path / "out"
    result = screen(POLICY, path, dt.date(2024, 9, 30), out)
    assert result.entities == 1 and result.rejected == 1
    con = duckdb.connect()
    got = con.execute(f"SELECT amount_fen FROM '{out}/entitlements.parquet' WHERE provision_id = 'm07.compute_voucher'").fetchall()
    assert got == [(50_000_000,)]  # 30% of 2,000,000 capped at 500,000 a year


def test_pool_is_never_overspent_and_the_crossing_claim_is_funded_in_part(tmp_path):
    reg = tmp_path / "reg"
    reg.mkdir()
    n = 62
    _csv(reg / "entities.csv", ENTITY_HEADER, [[f"P{i:03d}", "enterprise", "企业", _code(i), "530111", "6513", "", "small"]
                                               for i in range(n)])
    claims = []
    for i in range(n):
        spend = "600000.00" if i == 59 else "1666666.67"  # 180,000 for the 60th, 500,000 (the cap) for the others
        claims.append([f"P{i:03d}", "c1", (dt.date(2024, 4, 1) + dt.timedelta(days=i)).isoformat(), "compute_rental", spend])
    _csv(reg / "compute_claims.csv", ["entity_id", "id", "date", "category", "spend"], claims)
    out = tmp_path / "out"
    screen(POLICY, reg, dt.date(2024, 12, 31), out)
    con = duckdb.connect()
    rows = con.execute(f"""SELECT entity_id, amount_fen, funded_fen, pool_status FROM '{out}/entitlements.parquet'
                           WHERE provision_id = 'm07.compute_voucher' ORDER BY decision_date""").fetchall()
    assert sum(r[2] for r in rows) == 30_000_000 * 100  # exactly the pool, never more
    assert [r[3] for r in rows[:60]] == ["funded"] * 60
    assert rows[60] == ("P060", 50_000_000, 32_000_000, "partial")  # 29,680,000 used: 320,000 left of the 500,000
    assert rows[61][2:] == (0, "unfunded")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXYIOSVZ", min_size=16, max_size=19))
def test_sql_credit_code_check_equals_python(code):
    assert _uscc_ok(code) == is_valid_uscc(code)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=9, max_size=9), st.sampled_from(["530111", "530102", "110101"]))
def test_sql_credit_code_check_accepts_every_valid_code(body, district):
    code = make_uscc("91" + district + body)
    assert _uscc_ok(code) is True


_CON = None


def _uscc_ok(code: str):
    """The inlined SQL check (the one every registry row meets, in DuckDB and, transpiled, in Spark)."""
    global _CON
    if _CON is None:
        _CON = duckdb.connect()
    return _CON.execute(f"SELECT {uscc_ok_sql('c')} FROM (SELECT CAST(? AS VARCHAR) AS c)", [code]).fetchone()[0]
