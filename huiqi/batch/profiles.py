"""Turn registry rows back into applicant profiles, so one entity can be evaluated by the calculator.

Used by the differential tests (batch rows must equal the calculator's answers for the same
entity) and for looking up a single entity of a registry.
"""

from __future__ import annotations

from typing import Iterable

import duckdb

from huiqi.batch.schema import ENTITY_TABLE, EVENT_TABLES, SUPPORT_TABLE, table_columns
from huiqi.profile.model import Profile


def _rows(con: duckdb.DuckDBPyConnection, table: str, ids: list[str]) -> dict[str, list[dict]]:
    cols = [c.name for c in table_columns(table) if c.name != "entity_id"]
    sel = ", ".join(f'"{c}"' for c in cols)
    cur = con.execute(f"SELECT entity_id, {sel} FROM typed_{table} WHERE _reason IS NULL AND entity_id IN "
                      f"(SELECT unnest(?)) ORDER BY entity_id, _row", [ids])
    out: dict[str, list[dict]] = {}
    for r in cur.fetchall():
        out.setdefault(r[0], []).append({k: v for k, v in zip(cols, r[1:]) if v is not None})
    return out


def profiles_for(con: duckdb.DuckDBPyConnection, entity_ids: Iterable[str]) -> dict[str, Profile]:
    """Profiles for the given entities of a prepared connection (see huiqi.batch.validate.prepare)."""
    ids = list(entity_ids)
    entities = _rows(con, ENTITY_TABLE, ids)
    events = {t: _rows(con, t, ids) for t in EVENT_TABLES}
    support = _rows(con, SUPPORT_TABLE, ids)
    out = {}
    for eid, [row] in entities.items():
        data = {**row, "id": eid}
        for t in EVENT_TABLES:
            data[t] = events[t].get(eid, [])
        data["other_support"] = support.get(eid, [])
        out[eid] = Profile.model_validate(data)
    return out
