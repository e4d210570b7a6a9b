"""Money is integer fen in every table: no float, no NUMERIC column anywhere in the schema."""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, Numeric

from huiqi.storage.models import Base


def test_money_columns_are_bigint_fen_and_nothing_is_float_or_numeric():
    money = []
    for table in Base.metadata.tables.values():
        for col in table.columns:
            assert not isinstance(col.type, (Float, Numeric)), f"{table.name}.{col.name} is {col.type}"
            if col.name.endswith("_fen"):
                assert isinstance(col.type, BigInteger), f"{table.name}.{col.name} is {col.type}"
                money.append(f"{table.name}.{col.name}")
    assert {"pools.total_fen", "applications.approved_fen", "ledger_entries.amount_fen", "entity_caps.cap_fen"} <= set(money)


def test_migrations_build_exactly_the_models(db):
    """The schema the migrations create is the one the code declares (nothing forgotten in a migration)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from huiqi.storage.models import Base

    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
