"""A realistic synthetic registry for demos, tests and benchmarks: ``huiqi synth``.

Vectorised with NumPy so a million entities take seconds. Valid GB 32100 credit codes
(check character computed), Kunming district codes weighted towards the main urban
districts, GB/T 4754-2017 classes drawn section by section in rough proportions of a
city's market entities, size classes mostly micro, and sparse dated events: most
entities have none. The same seed gives the same bytes (one RNG, fixed column order,
no timestamps in the files).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from huiqi.batch.schema import ALL_TABLES, table_columns

CS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100 character set (no I, O, S, V, Z)
WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
DISTRICTS = {  # code → weight (share of registrations, rough)
    "530102": 14, "530103": 13, "530111": 18, "530112": 13, "530114": 9, "530181": 7, "530113": 2,
    "530115": 4, "530124": 2, "530125": 3, "530126": 2, "530127": 4, "530128": 2, "530129": 3,
}
SECTIONS = {  # GB/T 4754 section → share of entities
    "F": 34, "H": 10, "L": 9, "C": 8, "O": 7, "E": 5, "I": 5, "M": 5, "G": 4, "R": 3, "A": 3, "K": 2,
    "N": 1, "Q": 1, "P": 1, "D": 1, "B": 1,
}
RECOGNITION_TYPES = ["企业技术中心", "工业设计中心", "技术创新示范企业", "企业科技创新中心", "专精特新“小巨人”", "总部企业", "智能工厂"]


def _dates(rng: np.random.Generator, n: int, start: str, end: str) -> np.ndarray:
    lo, hi = np.datetime64(start), np.datetime64(end)
    return lo + rng.integers(0, (hi - lo).astype(int) + 1, size=n).astype("timedelta64[D]")


def credit_codes(rng: np.random.Generator, districts: np.ndarray, prefix: str = "91") -> np.ndarray:
    """Valid 18-character codes: prefix, registering office's division, 9 random body characters, check."""
    n = len(districts)
    chars = np.zeros((n, 18), dtype=np.int64)
    chars[:, 0] = CS.index(prefix[0])
    chars[:, 1] = CS.index(prefix[1])
    digits = np.array([list(d) for d in districts.astype("U6")], dtype="U1").astype(np.int64) if n else np.zeros((0, 6), np.int64)
    chars[:, 2:8] = digits
    chars[:, 8:17] = rng.integers(0, 31, size=(n, 9))
    chars[:, 17] = (31 - (chars[:, :17] * WEIGHTS).sum(axis=1) % 31) % 31
    table = np.frombuffer(CS.encode(), dtype=np.uint8)
    return table[chars].astype(np.uint8).view("S18").ravel().astype("U18")


def _industry_pool() -> dict[str, list[str]]:
    from huiqi.standards.industries import all_industries

    pool: dict[str, list[str]] = {}
    for ind in all_industries():
        if ind.level == "class":
            pool.setdefault(ind.section, []).append(ind.code)
    return pool


def _money(rng: np.random.Generator, n: int, lo: float, hi: float) -> np.ndarray:
    """Log-uniform amounts in fen between lo and hi yuan (integers: exact)."""
    return np.round(np.exp(rng.uniform(np.log(lo), np.log(hi), size=n)) * 100).astype(np.int64)


def generate(n: int, seed: int) -> dict[str, pa.Table]:
    """All registry tables for ``n`` entities."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("E", np.char.zfill(np.arange(1, n + 1).astype("U9"), 8))
    kind = rng.choice(["enterprise", "individual", "park_operator", "guarantee_institution", "procuring_entity"],
                      size=n, p=[0.93, 0.05, 0.005, 0.005, 0.01])
    dist_codes = np.array(list(DISTRICTS))
    dist_p = np.array(list(DISTRICTS.values()), dtype=float)
    district = rng.choice(dist_codes, size=n, p=dist_p / dist_p.sum())
    codes = credit_codes(rng, district)
    pool = _industry_pool()
    sections = np.array(list(SECTIONS))
    sec_p = np.array(list(SECTIONS.values()), dtype=float)
    section = rng.choice(sections, size=n, p=sec_p / sec_p.sum())
    industry = np.empty(n, dtype="U4")
    for s in sections:
        mask = section == s
        industry[mask] = rng.choice(sorted(pool[s]), size=int(mask.sum()))
    size = rng.choice(["micro", "small", "medium", "large"], size=n, p=[0.82, 0.14, 0.035, 0.005])
    emp_hi = {"micro": 9, "small": 99, "medium": 299, "large": 3000}
    emp_lo = {"micro": 1, "small": 10, "medium": 100, "large": 300}
    employees = np.array([0] * n, dtype=np.int64)
    for s in emp_hi:
        m = size == s
        employees[m] = rng.integers(emp_lo[s], emp_hi[s] + 1, size=int(m.sum()))
    revenue = _money(rng, n, 1e5, 5e8)
    person = kind == "individual"
    enterprise = kind == "enterprise"
    names = np.char.add(np.where(person, "个人", "昆明示例企业"), ids)

    entities = {
        "entity_id": ids, "kind": kind, "name": names,
        "credit_code": np.where(person, None, codes).astype(object),
        "district": district, "industry": np.where(person, None, industry).astype(object),
        "employees": np.where(person, 0, employees), "revenue": revenue, "assets": None,
        "size_class": np.where(person, None, size).astype(object),
        "in_statistics_db": enterprise & (rng.random(n) < 0.08),
        "has_dishonesty_record": rng.random(n) < 0.02,
        "small_scale_vat_taxpayer": enterprise & (rng.random(n) < 0.6),
        "cross_border_ecommerce_enterprises": np.where(kind == "park_operator", rng.integers(0, 80, size=n), None).astype(object),
    }
    tables = {"entities": _table("entities", entities, n)}

    def events(name: str, who: np.ndarray, share: float, max_per: int, fields) -> None:
        owners = np.flatnonzero(who & (rng.random(n) < share))
        counts = rng.integers(1, max_per + 1, size=len(owners))
        owner_rows = np.repeat(owners, counts)
        m = len(owner_rows)
        seq = np.arange(m) - np.repeat(np.cumsum(counts) - counts, counts)
        cols = {"entity_id": ids[owner_rows], "id": np.char.add(f"{name[:3]}-", (seq + 1).astype("U3"))}
        cols.update(fields(m, owner_rows))
        tables[name] = _table(name, cols, m)

    org = ~person
    events("scale_entries", enterprise, 0.03, 1, lambda m, o: {
        "date": _dates(rng, m, "2022-06-01", "2024-12-31"),
        "path": rng.choice(["small_to_scale", "new_build"], size=m, p=[0.8, 0.2]), "first_time": rng.random(m) < 0.95})
    events("recognitions", enterprise, 0.008, 2, lambda m, o: {
        "date": _dates(rng, m, "2024-01-01", "2025-03-31"), "type": rng.choice(RECOGNITION_TYPES, size=m),
        "level": rng.choice(["national", "provincial", "municipal"], size=m, p=[0.1, 0.4, 0.5])})
    events("listings", enterprise, 0.0005, 1, lambda m, o: {
        "date": _dates(rng, m, "2024-01-01", "2025-03-31"), "board": rng.choice(["neeq", "sse", "szse"], size=m)})
    events("compute_claims", enterprise, 0.004, 4, lambda m, o: {
        "date": _dates(rng, m, "2024-02-01", "2025-02-28"),
        "category": rng.choice(["compute_rental", "model_product", "model_service"], size=m), "spend": _money(rng, m, 1e3, 3e6)})
    events("projects", enterprise, 0.003, 2, lambda m, o: {
        "date": _dates(rng, m, "2024-01-01", "2025-03-31"), "annual_investment": _money(rng, m, 1e6, 5e8),
        "annual_fixed_asset_investment": _money(rng, m, 1e6, 3e8), "fixed_asset_investment": _money(rng, m, 1e6, 5e8),
        "fits_park_leading_industry": rng.random(m) < 0.6, "technical_renovation": rng.random(m) < 0.4,
        "in_mohan_border_park": rng.random(m) < 0.05, "park_development_mode": rng.random(m) < 0.5})
    events("guarantees", kind == "guarantee_institution", 1.0, 20, lambda m, o: {
        "date": _dates(rng, m, "2023-01-01", "2024-12-31"),
        "client_credit_code": credit_codes(rng, rng.choice(dist_codes, size=m)), "amount": _money(rng, m, 1e5, 8e6),
        "fee_rate": (rng.integers(30, 200, size=m)).astype(object)})
    events("tenders", enterprise, 0.006, 2, lambda m, o: {
        "date": _dates(rng, m, "2024-01-01", "2025-03-31"), "government_invested": rng.random(m) < 0.7,
        "must_tender": rng.random(m) < 0.9, "bid_value": _money(rng, m, 1e5, 5e7)})
    events("procurements", kind == "procuring_entity", 0.8, 5, lambda m, o: {
        "date": _dates(rng, m, "2024-01-01", "2025-03-31"), "category": rng.choice(["goods", "services", "works"], size=m),
        "value": _money(rng, m, 1e4, 1e7), "above_procurement_threshold": rng.random(m) < 0.8,
        "suitable_for_sme": rng.random(m) < 0.7})
    events("vehicles", org | person, 0.02, 2, lambda m, o: {
        "date": _dates(rng, m, "2024-01-01", "2025-03-31"), "price_incl_vat": _money(rng, m, 6e4, 8e5),
        "vat_rate": None, "new_energy": rng.random(m) < 0.45, "passenger_car": rng.random(m) < 0.9,
        "in_exemption_catalogue": rng.random(m) < 0.97})
    events("home_purchases", person, 0.1, 1, lambda m, o: {
        "date": _dates(rng, m, "2024-01-01", "2025-03-31"), "first_home": rng.random(m) < 0.7,
        "self_occupied": rng.random(m) < 0.95, "provident_fund_depositor": rng.random(m) < 0.6,
        "children": rng.choice([0, 1, 2, 3], size=m, p=[0.2, 0.45, 0.3, 0.05]), "base_max_loan": _money(rng, m, 3e5, 1.2e6)})
    events("startup_loans", person | enterprise, 0.005, 1, lambda m, o: {
        "date": _dates(rng, m, "2024-01-01", "2025-03-31"), "amount_requested": _money(rng, m, 5e4, 5e6)})
    events("payrolls", enterprise, 0.01, 1, lambda m, o: {
        "date": _dates(rng, m, "2024-01-01", "2025-03-31"), "wage_base": _money(rng, m, 1e5, 5e7),
        "work_injury_base_rate": (rng.choice([2, 4, 7, 9, 11, 14], size=m) * 10).astype(object)})
    events("vat_periods", enterprise, 0.03, 3, lambda m, o: {
        "date": _dates(rng, m, "2024-01-01", "2025-03-31"), "sales": _money(rng, m, 1e4, 3e5)})
    # a little support already received from other levels, for 就高不重复
    rec = tables["recognitions"]
    giant = np.flatnonzero(np.array(rec["type"].to_pylist(), dtype=object) == "专精特新“小巨人”")
    pick = giant[rng.random(len(giant)) < 0.3]
    tables["other_support"] = _table("other_support", {
        "entity_id": np.array(rec["entity_id"].to_pylist(), dtype=object)[pick],
        "provision": np.full(len(pick), "m23.little_giant_award", dtype=object),
        "level": rng.choice(["provincial", "district"], size=len(pick)),
        "amount": _money(rng, len(pick), 2e5, 1.5e6), "event_id": np.array(rec["id"].to_pylist(), dtype=object)[pick]}, len(pick))
    return tables


def _table(name: str, data: dict, n: int) -> pa.Table:
    """Arrow table in the registry's column order and types (money from integer fen, ratios from 1/10000)."""
    arrays, fields = [], []
    for col in table_columns(name):
        v = data.get(col.name)
        if v is None:
            arr = pa.nulls(n, type=_arrow_type(col.kind))
        elif col.kind == "money":
            arr = _fen_to_decimal(np.asarray(v, dtype=np.int64), 2, 18)
        elif col.kind == "ratio":
            arr = _fen_to_decimal(np.asarray(v, dtype=np.int64), 4, 12).cast(pa.decimal128(12, 6))
        elif col.kind == "date":
            arr = pa.array(np.asarray(v, dtype="datetime64[D]"), type=pa.date32())
        else:
            arr = pa.array(list(v) if isinstance(v, np.ndarray) and v.dtype == object else v, type=_arrow_type(col.kind))
        arrays.append(arr)
        fields.append(pa.field(col.name, _arrow_type(col.kind)))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _fen_to_decimal(units: np.ndarray, scale: int, precision: int) -> pa.Array:
    """Integer units of 10^-scale → exact decimal128, by reinterpreting the unscaled integers (no float)."""
    as_int = pa.array(units, type=pa.int64()).cast(pa.decimal128(38, 0))  # same 16-byte layout at any precision
    return pa.Array.from_buffers(pa.decimal128(precision, scale), len(as_int), as_int.buffers(), null_count=0)


def _arrow_type(kind: str) -> pa.DataType:
    return {
        "money": pa.decimal128(18, 2), "ratio": pa.decimal128(12, 6), "date": pa.date32(), "bool": pa.bool_(),
        "int": pa.int64(),
    }.get(kind, pa.string())


def write(tables: dict[str, pa.Table], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in ALL_TABLES:
        path = out / f"{name}.parquet"
        pq.write_table(tables[name], path, compression="zstd", write_statistics=True, store_schema=True)
        paths.append(path)
    return paths
