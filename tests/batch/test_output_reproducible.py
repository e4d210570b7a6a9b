"""The same registry and date give the same bytes: entitlements.parquet (BIGINT fen, ordered by entity,
provision, event) and every CSV; and the screen query built once per policy is the one built for the date."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq

from huiqi.batch import compile as batch_compile
from huiqi.batch.screen import ENTITLEMENT_COLUMNS, screen
from huiqi.catalogue import get_policy

POLICY = get_policy()
DAY = dt.date(2024, 10, 1)


def test_two_screens_write_identical_bytes_with_bigint_fen_in_order(registry, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    screen(POLICY, registry, DAY, first, excel=False)
    batch_compile._SQL.clear()  # the second builds its query afresh
    screen(POLICY, registry, DAY, second, excel=False)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    assert {"entitlements.parquet", "summary_by_measure.csv", "summary_by_district.csv", "rejects.csv"} <= set(names)
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name

    schema = pq.read_schema(first / "entitlements.parquet")
    assert tuple(schema.names) == ENTITLEMENT_COLUMNS
    assert schema.field("amount_fen").type == pa.int64() and schema.field("funded_fen").type == pa.int64()
    assert schema.field("decision_date").type == pa.date32() and schema.field("is_cap").type == pa.bool_()

    table = pq.read_table(first / "entitlements.parquet")
    assert table.num_rows > 1000 and table.column("funded_fen").null_count < table.num_rows  # pools did fund rows
    keys = list(zip(*(table.column(c).to_pylist() for c in ("entity_id", "provision_id", "event_id"))))
    ordered = sorted(keys, key=lambda k: (k[0], k[1], k[2] is not None, k[2] or ""))
    assert keys == ordered and len(set(keys)) == len(keys)  # one row per entity, provision and event


def test_query_built_once_is_the_query_built_for_the_date():
    """The cached query with the date put in equals the tree built with the date itself (nothing left behind)."""
    for day in (DAY, dt.date(2024, 4, 15), dt.date(2025, 2, 1)):
        for dialect in ("duckdb", "spark"):
            cached = batch_compile.screen_sql(POLICY, day, referral_rows=False, dialect=dialect)
            direct = batch_compile.screen_tree(POLICY, day, referral_rows=False).sql(dialect=dialect)
            assert cached == direct
            assert "huiqi_as_of" not in cached
            assert batch_compile.referral_counts_sql(POLICY, day, dialect=dialect) == \
                batch_compile._referral_counts(POLICY, day, dialect)
