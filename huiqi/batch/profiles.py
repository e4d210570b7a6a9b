"""Turn registry rows back into applicant profiles, so one entity can be evaluated by the calculator.

Used by the differential tests (batch rows must equal the calculator's answers for the same
entity) and for looking up a single entity of a registry.
"""

from __future__ import annotations

from typing import Iterable

import duckdb

from huiqi.batch.schema import ENTITY_TABLE, SUPPORT_TABLE, table_columns
from huiqi.profile.model import ProfileBase, profile_model


def _rows(con: duckdb.DuckDBPyConnection, table: str, ids: list[str], kinds=None) -> dict[str, list[dict]]:
    cols = [c.name for c in table_columns(table, kinds) if c.name != "entity_id"]
    sel = ", ".join(f'"{c}"' for c in cols)
    cur = con.execute(f"SELECT entity_id, {sel} FROM typed_{table} WHERE _reason IS NULL AND entity_id IN "
                      f"(SELECT unnest(?)) ORDER BY entity_id, _row", [ids])
    out: dict[str, list[dict]] = {}
    for r in cur.fetchall():
        out.setdefault(r[0], []).append({k: v for k, v in zip(cols, r[1:]) if v is not None})
    return out


def profiles_for(con: duckdb.DuckDBPyConnection, entity_ids: Iterable[str], policy=None) -> dict[str, ProfileBase]:
    """Profiles for the given entities of a prepared connection (see huiqi.batch.validate.prepare), in the
    profile model of ``policy`` (its event kinds; None: the core kinds)."""
    model = profile_model(policy)
    ids = list(entity_ids)
    entities = _rows(con, ENTITY_TABLE, ids)
    events = {t: _rows(con, t, ids, model.kinds) for t in model.event_list_names}
    support = _rows(con, SUPPORT_TABLE, ids)
    out = {}
    for eid, [row] in entities.items():
        data = {**row, "id": eid}
        for t in model.event_list_names:
            data[t] = events[t].get(eid, [])
        data["other_support"] = support.get(eid, [])
        out[eid] = model.model_validate(data)
    return out
